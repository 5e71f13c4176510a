#include "catalog/run_status.hpp"

#include <array>
#include <utility>

namespace cairn::catalog {

namespace {
constexpr std::array<std::pair<run_status, std::string_view>, 6> words{{
    {run_status::running, "running"},
    {run_status::ok, "ok"},
    {run_status::skipped, "skipped"},
    {run_status::partial, "partial"},
    {run_status::failed, "failed"},
    {run_status::cancelled, "cancelled"},
}};
}  // namespace

std::string_view to_string(run_status s) {
  for (const auto& [kind, word] : words)
    if (kind == s) return word;
  return "unknown";
}

std::optional<run_status> parse_run_status(std::string_view word) {
  for (const auto& [kind, w] : words)
    if (w == word) return kind;
  return std::nullopt;
}

}  // namespace cairn::catalog
