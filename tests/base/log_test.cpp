#include <doctest/doctest.h>

#include "base/log.hpp"

using namespace cairn;

TEST_CASE("log: levels parse by name, and nothing else does") {
  for (auto [text, level] : {std::pair{"error", log_level::error}, {"warn", log_level::warn},
                             {"info", log_level::info}, {"debug", log_level::debug}}) {
    REQUIRE(parse_log_level(text));
    CHECK(*parse_log_level(text) == level);
    CHECK(to_string(level) == text);
  }
  for (auto bad : {"", "INFO", "warning", "trace", "info "}) CHECK_FALSE(parse_log_level(bad));
}

TEST_CASE("log: an entry maps to journal fields with the syslog priority") {
  log_entry e;
  e.level = log_level::warn;
  e.message = "home -> usb: partial";
  e.plan = "home";
  e.target = "usb";
  e.run_id = "1a2b";
  e.outcome = "partial";
  auto f = journal_fields(e);
  CHECK(f == std::vector<std::string>{"MESSAGE=home -> usb: partial", "PRIORITY=4", "SYSLOG_IDENTIFIER=cairn",
                                      "PLAN=home", "TARGET=usb", "RUN_ID=1a2b", "OUTCOME=partial"});
  for (auto [level, priority] : {std::pair{log_level::error, "PRIORITY=3"}, {log_level::info, "PRIORITY=6"},
                                 {log_level::debug, "PRIORITY=7"}}) {
    log_entry plain;
    plain.level = level;
    CHECK(journal_fields(plain)[1] == priority);
  }
}

TEST_CASE("log: empty fields are left out: values keep every byte") {
  log_entry e;
  e.message = std::string("two\nlines\0x", 11);
  e.checkpoint = "abcd";
  auto f = journal_fields(e);
  REQUIRE(f.size() == 4);
  CHECK(f[0] == "MESSAGE=" + e.message);
  CHECK(f[3] == "CHECKPOINT=abcd");
}
