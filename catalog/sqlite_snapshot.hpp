// A consistent copy of an application's SQLite database while the
// application keeps using it: SQLite's online backup API, then a quick
// integrity check of the copy. For the `sqlite` source. Blocks.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>

#include "base/error.hpp"

namespace cairn::catalog {

// `busy`: how long to wait while writers hold the database. invalid_input
// when `source` is not an SQLite database; locked when it stayed busy.
status snapshot_database(const std::filesystem::path& source, const std::filesystem::path& dest,
                         std::chrono::seconds busy, const std::atomic<bool>* cancel = nullptr);

}  // namespace cairn::catalog
