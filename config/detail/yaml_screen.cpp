#include "config/detail/yaml_screen.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cstdio>
#include <sstream>
#include <string>

namespace cairn::config::detail {

namespace {

struct refused {
  int line;    // 1-based
  int column;  // 1-based
  std::string what;
};

// Line and column (1-based, in bytes) of a byte offset.
refused at_offset(std::string_view text, size_t offset, std::string what) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  return {line, column, std::move(what)};
}

// YAML forbids C0 controls but tab, LF and CR; yaml-cpp silently stops at
// some (0x04 ends its stream) and keeps others in values (a NUL cuts a path).
status check_bytes(std::string_view text, std::string_view name) {
  auto fail_at = [&](const refused& r) {
    return fail(errc::invalid_input, std::string(name) + ":" + std::to_string(r.line) + ":" +
                                       std::to_string(r.column) + ": " + r.what);
  };
  if (text.size() > max_yaml_bytes)
    return fail_at(at_offset(text, max_yaml_bytes,
                             "the file is larger than " + std::to_string(max_yaml_bytes >> 20) +
                               " MiB; a configuration is never that big"));
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      return fail_at(at_offset(text, i, std::string("control character ") + hex +
                                          " in the file (a NUL byte, or not a text file?)"));
    }
  }
  return {};
}

class screen : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      refuse(mark, "a second YAML document (after --- or ...): the configuration is one document");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    refuse(mark, "YAML aliases (*name) are not supported: write the value out");
  }
  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    refuse(mark, "YAML anchors (&" + name + ") are not supported: write the value out");
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    if (value.find('\0') != std::string::npos)
      refuse(mark, "a value holds a NUL byte (\\0), which no path, name or command may hold");
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override { --depth_; }

private:
  [[noreturn]] static void refuse(const YAML::Mark& mark, std::string what) {
    throw refused{mark.line + 1, mark.column + 1, std::move(what)};
  }
  void enter(const YAML::Mark& mark) {
    if (++depth_ > max_yaml_depth)
      refuse(mark, "nested deeper than " + std::to_string(max_yaml_depth) + " levels");
  }
  int documents_ = 0;
  int depth_ = 0;
};

}  // namespace

status screen_yaml(std::string_view text, std::string_view name) {
  CAIRN_TRY(check_bytes(text, name));
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    screen events;
    while (parser.HandleNextDocument(events)) {
    }
    return {};
  } catch (const refused& r) {
    return fail(errc::invalid_input, std::string(name) + ":" + std::to_string(r.line) + ":" +
                                       std::to_string(r.column) + ": " + r.what);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return fail(errc::invalid_input, std::string(name) + ": " + e.msg);
    return fail(errc::invalid_input, std::string(name) + ":" + std::to_string(e.mark.line + 1) +
                                       ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {  // bad_alloc and the like: still one line
    return fail(errc::invalid_input, std::string(name) + ": cannot read the YAML: " + e.what());
  }
}

}  // namespace cairn::config::detail
