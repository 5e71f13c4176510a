// A client of `cairn serve` for the end-to-end tests: sends one request
// through the ssh target (the real client, over real ssh) and prints the
// answer, so a test can ask what a normal backup never asks, such as
// replacing a pack or removing a checkpoint.
//   servetool put NAME FILE | get NAME | remove NAME | list PREFIX   -- LOGIN
//   LOGIN: --host H --port P --user U --path DIR --identity KEY --known-hosts FILE
// Exit 0 on success; 1 with the error's line on stderr.
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>

#include "targets/ssh_target.hpp"

using namespace cairn;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto dashes = std::find(args.begin(), args.end(), "--");
  if (args.size() < 2 || dashes == args.end()) return std::cerr << "usage: see servetool.cpp\n", 2;
  std::map<std::string, std::string> login;
  for (auto it = dashes + 1; it != args.end() && it + 1 != args.end(); it += 2) login[*it] = *(it + 1);
  targets::ssh_login l;
  l.host = login["--host"];
  l.port = login.count("--port") ? std::stoi(login["--port"]) : 0;
  l.user = login["--user"];
  l.path = login["--path"];
  l.identity = login["--identity"];
  l.known_hosts = login["--known-hosts"];
  l.ssh_command = "ssh -F /dev/null";
  targets::ssh_options o;
  o.command = targets::ssh_command_line(l);
  o.description = targets::describe_login(l);
  o.timeout = std::chrono::seconds(20);
  targets::ssh_target target(o);
  const auto& what = args[0];
  const auto& name = args[1];
  status st;
  if (what == "put" && args.size() > 2 && dashes - args.begin() == 3) {
    std::ifstream in(args[2], std::ios::binary);
    byte_buffer data((std::istreambuf_iterator<char>(in)), {});
    st = target.put(name, data);
  } else if (what == "get") {
    auto got = target.get(name);
    if (got) std::cout.write(reinterpret_cast<const char*>(got->data()), static_cast<std::streamsize>(got->size()));
    else st = tl::unexpected(got.error());
  } else if (what == "remove") {
    st = target.remove(name);
  } else if (what == "list") {
    st = target.list(name, [](const targets::object_info& info) {
      std::cout << info.name << " " << info.size << "\n";
      return true;
    });
  } else {
    return std::cerr << "servetool: unknown request " << what << "\n", 2;
  }
  if (st) return 0;
  std::cerr << st.error().message() << "\n";
  return 1;
}
