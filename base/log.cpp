#include "base/log.hpp"

namespace cairn {

std::optional<log_level> parse_log_level(std::string_view text) {
  for (auto l : {log_level::error, log_level::warn, log_level::info, log_level::debug})
    if (text == to_string(l)) return l;
  return std::nullopt;
}

std::string_view to_string(log_level level) {
  switch (level) {
    case log_level::error: return "error";
    case log_level::warn: return "warn";
    case log_level::info: return "info";
    case log_level::debug: return "debug";
  }
  return "info";
}

std::vector<std::string> journal_fields(const log_entry& e) {
  static constexpr const char* priority[] = {"3", "4", "6", "7"};
  std::vector<std::string> f{"MESSAGE=" + e.message, std::string("PRIORITY=") + priority[static_cast<int>(e.level)],
                             "SYSLOG_IDENTIFIER=cairn"};
  for (auto [name, value] : {std::pair{"PLAN=", &e.plan}, {"TARGET=", &e.target}, {"RUN_ID=", &e.run_id},
                             {"OUTCOME=", &e.outcome}, {"CHECKPOINT=", &e.checkpoint}})
    if (!value->empty()) f.push_back(name + *value);
  return f;
}

}  // namespace cairn
