// The web dashboard's static files (web/ in the source tree), embedded in the
// binary at build time by cmake/embed_web.cmake. Immutable; thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace cairn::api {

struct web_asset {
  std::string_view path;          // "/index.html", "/js/main.js"
  std::string_view content_type;  // from the file's extension
  std::string_view body;
};

std::span<const web_asset> web_assets();

}  // namespace cairn::api
