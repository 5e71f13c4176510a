#include "api/client.hpp"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

namespace cairn::api {

expected<client_reply> call(const std::filesystem::path& socket, const std::string& method, const std::string& path,
                            const std::string& body) {
  std::error_code ec;
  if (!std::filesystem::exists(socket, ec))
    return fail(errc::not_found, "no cairn daemon listens on " + socket.string());
  CURL* curl = curl_easy_init();
  if (!curl) return fail(errc::io, "cannot start an HTTP client");
  client_reply reply;
  std::string url = "http://localhost" + path;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) -> size_t {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_cleanup(curl);
  if (rc == CURLE_COULDNT_CONNECT)
    return fail(errc::not_found, "no cairn daemon listens on " + socket.string());
  if (rc != CURLE_OK)
    return fail(errc::io, "the cairn daemon on " + socket.string() + ": " + curl_easy_strerror(rc));
  return reply;
}

std::string error_message(const client_reply& reply) {
  auto j = nlohmann::json::parse(reply.body, nullptr, false);
  if (!j.is_discarded() && j.contains("error") && j["error"].contains("message"))
    return j["error"]["message"].get<std::string>();
  return "HTTP " + std::to_string(reply.status) + ": " + reply.body;
}

}  // namespace cairn::api
