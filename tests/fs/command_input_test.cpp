// fs::run_to_file with `input`: the command's standard input is a pipe that
// a feeder writes, in pieces, while the command runs.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "fs/command.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;

TEST_CASE("command input: fed in pieces, read whole, and no input is /dev/null") {
  testing::temp_dir dir;
  std::string piece(100000, 'x');
  command_options o;
  o.command = "cat";
  o.output = dir.path() / "out";
  o.input = [&](int fd) -> status {
    for (int i = 0; i < 30; ++i) CAIRN_TRY(write_all(fd, piece.data(), piece.size()));
    return {};
  };
  auto r = run_to_file(o);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message()));
  CHECK(r->exit_code == 0);
  CHECK(r->bytes == 3000000);
  command_options none;
  none.command = "wc -c";
  none.output = dir.path() / "none";
  REQUIRE(run_to_file(none));
  CHECK(testing::read_all(dir.path() / "none") == "0\n");
}

TEST_CASE("command input: a command that stops reading fails when it exits 0, and keeps its exit code otherwise") {
  std::string piece(1 << 20, 'y');
  auto feed = [&](int fd) -> status {
    for (int i = 0; i < 8; ++i) CAIRN_TRY(write_all(fd, piece.data(), piece.size()));
    return {};
  };
  command_options o;
  o.command = "head -c 10 > /dev/null";
  o.input = feed;
  auto r = run_to_file(o);
  REQUIRE_FALSE(r);
  CHECK(r.error().message() == "the command stopped reading its input before its end");
  o.command = "head -c 10 > /dev/null; exit 3";
  auto three = run_to_file(o);
  REQUIRE(three);
  CHECK(three->exit_code == 3);
}

TEST_CASE("command input: the timeout stops a command that does not read") {
  std::string piece(1 << 20, 'z');
  command_options o;
  o.command = "sleep 29.25";
  o.timeout = std::chrono::seconds(1);
  o.input = [&](int fd) -> status {
    for (int i = 0; i < 8; ++i) CAIRN_TRY(write_all(fd, piece.data(), piece.size()));
    return {};
  };
  auto start = std::chrono::steady_clock::now();
  auto r = run_to_file(o);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("ran longer than its timeout of 1 s") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(8));
}
