// Reading fields of JSON that came from a target: nothing about their type
// or range is trusted (nlohmann's value() throws on a wrong type, and a float
// converted to an integer out of range is undefined behaviour).
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace cairn::repo {

// `key` of object `j` as an integer of type T; `fallback` when `j` is not an
// object, the key is absent, not an integer, or out of T's range.
template <class T>
T int_field(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (it->is_number_unsigned()) {
    auto v = it->template get<uint64_t>();
    return v <= static_cast<uint64_t>(std::numeric_limits<T>::max()) ? static_cast<T>(v) : fallback;
  }
  if (it->is_number_integer()) {
    auto v = it->template get<int64_t>();
    if constexpr (std::numeric_limits<T>::is_signed)
      return v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max() ? static_cast<T>(v) : fallback;
    else
      return v >= 0 && static_cast<uint64_t>(v) <= std::numeric_limits<T>::max() ? static_cast<T>(v) : fallback;
  }
  return fallback;
}

// `key` of object `j` as an integer of type T, like j.at(key).get<T>() but
// throwing std::out_of_range (which callers turn into "damaged") for a value
// that is absent, not an integer, or out of T's range.
template <class T>
T int_at(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) throw std::out_of_range(std::string("missing ") + key);
  const auto& v = j[key];
  if (!v.is_number_integer()) throw std::out_of_range(std::string(key) + " is not an integer");
  if (v.is_number_unsigned()) {
    auto u = v.template get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) throw std::out_of_range(std::string(key) + " is out of range");
    return static_cast<T>(u);
  }
  auto i = v.template get<int64_t>();
  if constexpr (std::numeric_limits<T>::is_signed) {
    if (i < std::numeric_limits<T>::min() || i > std::numeric_limits<T>::max())
      throw std::out_of_range(std::string(key) + " is out of range");
  } else {
    if (i < 0 || static_cast<uint64_t>(i) > std::numeric_limits<T>::max())
      throw std::out_of_range(std::string(key) + " is out of range");
  }
  return static_cast<T>(i);
}

// `key` of object `j` as a string; `fallback` when absent or not a string.
inline std::string string_field(const nlohmann::json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace cairn::repo
