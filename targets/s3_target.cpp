#include "targets/s3_target.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <cstring>
#include <limits>
#include <map>
#include <thread>

#include "crypto/id_hasher.hpp"

namespace cairn::targets {

struct s3_target::request {
  std::string method = "GET";
  std::string key;                              // object key, or "" for the bucket
  std::map<std::string, std::string> query;     // sorted: the canonical order
  std::vector<std::string> headers;
  byte_view body;
  bool head = false;
};

struct s3_target::response {
  long status = 0;
  byte_buffer body;
  std::map<std::string, std::string> headers;  // lower-case names
};

namespace {

std::once_flag curl_initialized;

std::string percent_encode(std::string_view s, bool keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<byte_buffer*>(user);
  out->insert(out->end(), data, data + size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*out)[name] = value;
  }
  return size * n;
}

// The text of an XML element <tag>..</tag> at or after `from`.
std::string xml_value(const std::string& xml, const std::string& tag, size_t& from) {
  auto open = xml.find("<" + tag + ">", from);
  if (open == std::string::npos) {
    from = std::string::npos;
    return {};
  }
  open += tag.size() + 2;
  auto close = xml.find("</" + tag + ">", open);
  if (close == std::string::npos) {
    from = std::string::npos;
    return {};
  }
  from = close + tag.size() + 3;
  return xml.substr(open, close - open);
}

std::string xml_unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {
    {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities)
    for (size_t pos; (pos = s.find(from)) != std::string::npos;) s.replace(pos, std::strlen(from), to);
  return s;
}

}  // namespace

s3_target::s3_target(s3_options options) : options_(std::move(options)) {
  std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
  while (!options_.prefix.empty() && options_.prefix.back() == '/') options_.prefix.pop_back();
  while (!options_.prefix.empty() && options_.prefix.front() == '/') options_.prefix.erase(0, 1);
}

s3_target::~s3_target() {
  for (void* h : handles_) curl_easy_cleanup(static_cast<CURL*>(h));
}

std::string s3_target::describe() const {
  auto host = options_.endpoint.substr(options_.endpoint.find("://") + 3);
  return std::string(options_.endpoint.rfind("https", 0) == 0 ? "s3://" : "s3+http://") + host + "/" +
         options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix);
}

std::string s3_target::key_of(std::string_view name) const {
  return options_.prefix.empty() ? std::string(name) : options_.prefix + "/" + std::string(name);
}

std::string s3_target::url_of(const std::string& key, const std::string& query) const {
  std::string url;
  if (options_.path_style) {
    url = options_.endpoint + "/" + percent_encode(options_.bucket, false);
    if (!key.empty()) url += "/" + percent_encode(key, true);
  } else {
    auto scheme_end = options_.endpoint.find("://") + 3;
    url = options_.endpoint.substr(0, scheme_end) + options_.bucket + "." + options_.endpoint.substr(scheme_end) + "/";
    if (!key.empty()) url += percent_encode(key, true);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

expected<s3_target::response> s3_target::perform(const request& r) {
  CURL* h = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!handles_.empty()) {
      h = static_cast<CURL*>(handles_.back());
      handles_.pop_back();
    }
  }
  if (!h) h = curl_easy_init();
  curl_easy_reset(h);
  // Every parameter written with '=' and sorted by name: SigV4's canonical form.
  std::string query;
  for (const auto& [k, v] : r.query)
    query += (query.empty() ? "" : "&") + percent_encode(k, false) + "=" + percent_encode(v, false);
  auto url = url_of(r.key, query);
  response out;
  std::string region = "aws:amz:" + options_.region + ":s3";
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, region.c_str());
  curl_easy_setopt(h, CURLOPT_USERNAME, options_.access_key.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, options_.secret_key.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer is abandoned
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  if (std::getenv("CAIRN_CURL_VERBOSE")) curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &out.headers);
  auto payload_hash = crypto::sha256_of(r.body).hex();
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("x-amz-content-sha256: " + payload_hash).c_str());
  for (const auto& hd : r.headers) headers = curl_slist_append(headers, hd.c_str());
  if (r.head) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (r.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (r.method == "PUT" || r.method == "POST") {
      headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.empty() ? "" : reinterpret_cast<const char*>(r.body.data()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  curl_slist_free_all(headers);
  {
    std::lock_guard lock(mutex_);
    if (rc == CURLE_OK && handles_.size() < static_cast<size_t>(std::max(1, options_.connections)))
      handles_.push_back(h);
    else
      curl_easy_cleanup(h);
  }
  if (rc == CURLE_OK && out.status / 100 == 2) bucket_seen_ = true;
  if (rc != CURLE_OK)  // resets, timeouts, refused connections: worth retrying
    return fail(errc::transient, describe() + ": " + r.method + " " + (r.key.empty() ? "bucket" : r.key) +
                                   ": " + curl_easy_strerror(rc));
  return out;
}

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A decimal size from a server's reply (never an exception out of here).
std::optional<uint64_t> size_of(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace

// A failed HTTP status to an error: what and where, transient or not.
error s3_target::http_error(const std::string& what, const response& r) const {
  std::string body(r.body.begin(), r.body.end());
  size_t at = 0;
  std::string code = xml_value(body, "Code", at);
  std::string detail = code.empty() ? "HTTP " + std::to_string(r.status) : code;
  errc e = errc::io;
  if (r.status == 404) e = errc::not_found;
  if (r.status == 401 || r.status == 403) e = errc::auth;
  if (r.status == 408 || r.status == 429 || r.status >= 500) e = errc::transient;
  if (code == "NoSuchBucket") return no_bucket();
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId")
    return error{errc::auth, describe() + ": the server refused the access key or secret (" + code + ")"};
  return error{e, describe() + ": " + what + ": " + detail};
}

// Permanent, and never not_found: callers read that as "no such object" (and
// a missing config object as "no repository here").
error s3_target::no_bucket() const {
  return error{errc::io, "bucket " + options_.bucket + " does not exist at " + options_.endpoint};
}

// HEAD answers 404 without a body for a missing object and a missing bucket
// alike: ask about the bucket itself, once it has been seen no more.
expected<bool> s3_target::bucket_exists() {
  if (bucket_seen_) return true;
  CAIRN_ASSIGN(auto resp, perform(request{"HEAD", "", {}, {}, {}, true}));
  if (resp.status == 404) return false;
  if (resp.status / 100 == 2) bucket_seen_ = true;
  return true;  // or not allowed to ask (403): the object's 404 stands
}

status s3_target::put(std::string_view name, byte_view data) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  if (data.size() > options_.multipart_threshold) return put_multipart(name, data);
  request r{"PUT", key_of(name), {}, object_lock_headers(options_.object_lock, name, data, unix_now()), data};
  CAIRN_ASSIGN(auto resp, perform(r));
  if (resp.status / 100 != 2) return fail(http_error("put " + std::string(name), resp));
  return {};
}

status s3_target::put_multipart(std::string_view name, byte_view data) {
  auto key = key_of(name);
  bool locked = retained(options_.object_lock, name);
  CAIRN_ASSIGN(auto start, perform(request{"POST", key, {{"uploads", ""}},
                                           multipart_lock_headers(options_.object_lock, name, unix_now()), {}}));
  if (start.status / 100 != 2) return fail(http_error("start upload of " + std::string(name), start));
  std::string body(start.body.begin(), start.body.end());
  size_t at = 0;
  auto upload = xml_value(body, "UploadId", at);
  if (upload.empty()) return fail(errc::io, describe() + ": no UploadId for " + std::string(name));
  auto abort = [&] { (void)perform(request{"DELETE", key, {{"uploadId", upload}}, {}, {}}); };
  std::string complete = "<CompleteMultipartUpload>";
  int part = 1;
  for (uint64_t off = 0; off < data.size(); off += options_.part_size, ++part) {
    auto piece = data.subspan(off, std::min<uint64_t>(options_.part_size, data.size() - off));
    std::vector<std::string> md5;
    if (locked) md5.push_back("Content-MD5: " + crypto::content_md5(piece));
    auto resp = perform(request{"PUT", key, {{"partNumber", std::to_string(part)}, {"uploadId", upload}}, md5, piece});
    if (!resp || resp->status / 100 != 2) {
      abort();  // never leaves a partial object behind
      if (!resp) return fail(resp.error());
      return fail(http_error("upload part of " + std::string(name), *resp));
    }
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + resp->headers["etag"] +
                "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  auto done = perform(request{"POST", key, {{"uploadId", upload}}, {}, as_bytes(complete)});
  // CompleteMultipartUpload may answer 200 with an <Error> body.
  std::string text = done ? std::string(done->body.begin(), done->body.end()) : "";
  if (!done || done->status / 100 != 2 || text.find("<Error>") != std::string::npos) {
    abort();
    if (!done) return fail(done.error());
    return fail(http_error("complete upload of " + std::string(name), *done));
  }
  return {};
}

expected<byte_buffer> s3_target::get(std::string_view name, byte_range range) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  request r{"GET", key_of(name), {}, {}, {}};
  if (!range.whole()) {
    std::string header = "Range: bytes=" + std::to_string(range.offset) + "-";
    if (range.length != std::numeric_limits<uint64_t>::max())
      header += std::to_string(range.offset + std::max<uint64_t>(range.length, 1) - 1);
    r.headers.push_back(header);
  }
  CAIRN_ASSIGN(auto resp, perform(r));
  if (resp.status == 416 || (range.length == 0 && resp.status / 100 == 2)) {
    // Past the end, or a zero-length range: decide by the object's size.
    CAIRN_ASSIGN(auto info, stat(name));
    if (range.offset > info.size)
      return fail(errc::invalid_input, describe() + ": read past the end of " + std::string(name));
    return byte_buffer{};
  }
  if (resp.status / 100 != 2) {
    auto e = http_error("get " + std::string(name), resp);
    if (e.code() == errc::not_found) return fail(errc::not_found, describe() + ": " + std::string(name) + " not found");
    return fail(e);
  }
  if (!range.whole() && resp.status == 200 && range.offset > 0) {  // a server that ignored Range
    if (range.offset > resp.body.size())
      return fail(errc::invalid_input, describe() + ": read past the end of " + std::string(name));
    resp.body.erase(resp.body.begin(), resp.body.begin() + static_cast<long>(range.offset));
  }
  if (resp.body.size() > range.length) resp.body.resize(range.length);
  return std::move(resp.body);
}

expected<object_info> s3_target::stat(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  request r{"HEAD", key_of(name), {}, {}, {}, true};
  CAIRN_ASSIGN(auto resp, perform(r));
  if (resp.status == 404) {
    CAIRN_ASSIGN(bool bucket, bucket_exists());
    if (!bucket) return fail(no_bucket());
    return fail(errc::not_found, describe() + ": " + std::string(name) + " not found");
  }
  if (resp.status / 100 != 2) return fail(http_error("stat " + std::string(name), resp));
  auto size = size_of(resp.headers.count("content-length") ? resp.headers["content-length"] : "0");
  if (!size) return fail(errc::io, describe() + ": stat " + std::string(name) + ": no valid Content-Length");
  return object_info{std::string(name), *size};
}

status s3_target::list(std::string_view prefix, const std::function<bool(const object_info&)>& fn) {
  std::string base = options_.prefix.empty() ? "" : options_.prefix + "/";
  std::string token;
  for (;;) {
    request r{"GET", "", {{"list-type", "2"}, {"prefix", base + std::string(prefix)}}, {}, {}};
    if (!token.empty()) r.query["continuation-token"] = token;
    CAIRN_ASSIGN(auto resp, perform(r));
    if (resp.status / 100 != 2) return fail(http_error("list", resp));
    std::string xml(resp.body.begin(), resp.body.end());
    size_t at = 0;
    while (true) {
      size_t contents = xml.find("<Contents>", at);
      if (contents == std::string::npos) break;
      size_t end = xml.find("</Contents>", contents);
      std::string item = xml.substr(contents, end - contents);
      size_t i = 0;
      auto key = xml_unescape(xml_value(item, "Key", i));
      i = 0;
      auto size = xml_value(item, "Size", i);
      at = end;
      if (key.size() < base.size()) continue;
      auto name = key.substr(base.size());
      auto leaf = name.substr(name.rfind('/') + 1);
      if (leaf.empty() || leaf[0] == '.') continue;
      auto bytes = size_of(size.empty() ? "0" : size);
      if (!bytes) return fail(errc::io, describe() + ": list: no valid Size for " + name);
      if (!fn({name, *bytes})) return {};
    }
    size_t t = 0;
    if (xml_value(xml, "IsTruncated", t) != "true") return {};
    t = 0;
    token = xml_unescape(xml_value(xml, "NextContinuationToken", t));
    if (token.empty()) return fail(errc::io, describe() + ": a truncated listing without a continuation token");
  }
}

status s3_target::remove(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto resp, perform(request{"DELETE", key_of(name), {}, {}, {}}));
  if (resp.status / 100 != 2 && (resp.status != 404 || http_error("", resp).code() != errc::not_found))
    return fail(http_error("remove " + std::string(name), resp));
  return {};
}

}  // namespace cairn::targets
