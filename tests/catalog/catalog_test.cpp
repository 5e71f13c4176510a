#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "catalog/catalog.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::catalog;

namespace {
object_id id_of_byte(uint8_t b) {
  object_id id;
  id.bytes.fill(b);
  return id;
}
}  // namespace

TEST_CASE("catalog: a real SQLite file is created 0600 in a 0700 state_dir") {
  testing::temp_dir dir;
  auto c = cairn::catalog::catalog::open(dir / "state");
  REQUIRE(c);
  struct stat st {};
  REQUIRE(::stat((dir / "state").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir / "state/catalog.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE((*c)->set_setting("chunker_seed", "12345"));
  CHECK(*(*c)->setting("chunker_seed") == std::optional<std::string>("12345"));
  CHECK(!(*c)->setting("missing")->has_value());
}

TEST_CASE("catalog: checkpoints by plan and target newest first") {
  testing::temp_dir dir;
  auto c = std::move(*cairn::catalog::catalog::open(dir.path()));
  for (int i = 0; i < 3; ++i) {
    checkpoint_row r;
    r.id = std::string(64, static_cast<char>('a' + i));
    r.target = i == 2 ? "nas" : "usb";
    r.plan = "home";
    r.time_ns = 1000 + i;
    r.tree = std::string(64, '0');
    r.files = 10 * i;
    REQUIRE(c->record_checkpoint(r));
  }
  auto all = c->checkpoints("", "");
  REQUIRE(all->size() == 3);
  CHECK(all->front().time_ns == 1002);
  CHECK(c->checkpoints("home", "usb")->size() == 2);
  CHECK(c->checkpoints("other", "")->empty());
  REQUIRE(c->forget_checkpoint("usb", std::string(64, 'a')));
  CHECK(c->checkpoints("", "usb")->size() == 1);
}

TEST_CASE("catalog: check marks vanished checkpoints until they return or are forgotten") {
  testing::temp_dir dir;
  auto c = std::move(*cairn::catalog::catalog::open(dir.path()));
  for (char x : {'a', 'b'}) {
    checkpoint_row r;
    r.id = std::string(64, x);
    r.target = "usb";
    r.plan = "home";
    r.tree = std::string(64, '0');
    REQUIRE(c->record_checkpoint(r));
  }
  REQUIRE(c->set_vanished("usb", std::string(64, 'a'), true, 5));
  auto rows = c->checkpoints("", "");
  REQUIRE(rows->size() == 2);
  for (const auto& r : *rows) CHECK(r.vanished == (r.id[0] == 'a'));
  // A read-only open (cairn checkpoints) sees the mark too.
  auto ro = std::move(*cairn::catalog::catalog::open(dir.path(), true));
  CHECK(ro->checkpoints("", "")->size() == 2);
  REQUIRE(c->set_vanished("usb", std::string(64, 'a'), false, 6));
  auto back = c->checkpoints("", "");
  for (const auto& r : *back) CHECK_FALSE(r.vanished);
  REQUIRE(c->set_vanished("usb", std::string(64, 'b'), true, 7));
  REQUIRE(c->forget_checkpoint("usb", std::string(64, 'b')));
  REQUIRE(c->checkpoints("", "")->size() == 1);
  CHECK_FALSE(c->checkpoints("", "")->front().vanished);
}

TEST_CASE("catalog: the file cache stores a directory's entries with odd names") {
  testing::temp_dir dir;
  auto c = std::move(*cairn::catalog::catalog::open(dir.path()));
  std::string directory = "sub/\xff\n";
  std::vector<cache_entry> entries{{"a", 10, 1, 2, 3, {id_of_byte(1), id_of_byte(2)}, {1, 2, 3}},
                                   {std::string("b\0c", 3), 0, 4, 5, 6, {}, {}}};
  REQUIRE(c->store_directory("home", "usb", directory, entries));
  auto back = c->cached_directory("home", "usb", directory);
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].chunks == entries[0].chunks);
  CHECK((*back)[1].name == entries[1].name);
  CHECK((*back)[0].xattrs == entries[0].xattrs);
  CHECK((*back)[1].xattrs.empty());
  // The source's root directory is the empty path.
  REQUIRE(c->store_directory("home", "usb", "", entries));
  CHECK(c->cached_directory("home", "usb", "")->size() == 2);
  CHECK(c->cached_directory("home", "nas", directory)->empty());
  REQUIRE(c->store_directory("home", "usb", directory, {entries[0]}));
  CHECK(c->cached_directory("home", "usb", directory)->size() == 1);
}

TEST_CASE("catalog: a reader's snapshot sees the file cache as at its first read, until it ends") {
  testing::temp_dir dir;
  auto writer = std::move(*cairn::catalog::catalog::open(dir.path()));
  std::vector<cache_entry> one{{"a", 10, 1, 2, 3, {id_of_byte(1)}, {}}};
  REQUIRE(writer->store_directory("home", "usb", "d", one));
  auto reader = std::move(*cairn::catalog::catalog::open(dir.path(), true));
  reader->begin_snapshot();
  reader->begin_snapshot();  // no nesting: the same transaction
  REQUIRE(reader->cached_directory("home", "usb", "d")->size() == 1);
  // A walk's reader holds its snapshot while the catalog writer stores what it found (WAL).
  auto two = one;
  two.push_back({"b", 20, 1, 2, 4, {id_of_byte(2)}, {}});
  REQUIRE(writer->store_directory("home", "usb", "d", two));
  REQUIRE(writer->store_directory("home", "usb", "e", two));
  CHECK(reader->cached_directory("home", "usb", "d")->size() == 1);
  CHECK(reader->cached_directory("home", "usb", "e")->empty());
  reader->end_snapshot();
  reader->end_snapshot();
  CHECK(reader->cached_directory("home", "usb", "d")->size() == 2);
  CHECK(reader->cached_directory("home", "usb", "e")->size() == 2);
}

TEST_CASE("catalog: runs are recorded and a snapshot is a consistent copy") {
  testing::temp_dir dir;
  auto c = std::move(*cairn::catalog::catalog::open(dir / "a"));
  auto run = c->begin_run("home", 5);
  REQUIRE(run);
  REQUIRE(c->finish_run({*run, "home", 5, 9, cairn::catalog::run_status::ok, "{}", ""}));
  auto runs = c->runs("home", 10);
  REQUIRE(runs->size() == 1);
  CHECK((*runs)[0].status == cairn::catalog::run_status::ok);
  REQUIRE(c->set_setting("suite_id", "s1"));
  REQUIRE(c->snapshot_to(dir / "copy.db"));
  std::filesystem::create_directories(dir / "b");
  std::filesystem::copy_file(dir / "copy.db", dir / "b/catalog.db");
  auto copy = cairn::catalog::catalog::open(dir / "b", true);
  REQUIRE(copy);
  CHECK(*(*copy)->setting("suite_id") == std::optional<std::string>("s1"));
  CHECK((*copy)->runs("", 10)->size() == 1);
}

TEST_CASE("catalog: the suite-state snapshot has everything but the file cache") {
  testing::temp_dir dir;
  auto c = std::move(*cairn::catalog::catalog::open(dir / "a"));
  REQUIRE(c->set_setting("suite_id", "s1"));
  REQUIRE(c->record_target("usb", "local /mnt/usb", "r1"));
  REQUIRE(c->record_checkpoint({"c1", "usb", "home", 7, "host", "", "t1", 3, 300, "{}", "[]"}));
  REQUIRE(c->finish_run({*c->begin_run("home", 5), "home", 5, 9, cairn::catalog::run_status::ok, "{}", ""}));
  cairn::catalog::cache_entry e;
  e.name = "f";
  e.size = 3;
  REQUIRE(c->store_directory("home", "usb", "/src", {e}));

  auto bytes = c->snapshot_for_backup(dir / "scratch.db");
  REQUIRE(bytes);
  CHECK_FALSE(std::filesystem::exists(dir / "scratch.db"));
  std::filesystem::create_directories(dir / "b");
  {
    std::ofstream out(dir / "b/catalog.db", std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  }
  auto copy = std::move(*cairn::catalog::catalog::open(dir / "b"));
  CHECK(*copy->setting("suite_id") == std::optional<std::string>("s1"));
  CHECK(*copy->target_repository("usb") == std::optional<std::string>("r1"));
  REQUIRE(copy->checkpoints("", "")->size() == 1);
  CHECK(copy->checkpoints("", "")->at(0).bytes == 300);
  CHECK(copy->runs("", 10)->size() == 1);
  CHECK(copy->cached_directory("home", "usb", "/src")->empty());
  // The live catalog is untouched and still writable.
  CHECK(c->cached_directory("home", "usb", "/src")->size() == 1);
  REQUIRE(c->set_setting("after", "1"));
}

TEST_CASE("catalog: the snapshot records the run writing it as it ends, the live row stays running") {
  testing::temp_dir dir;
  auto c = std::move(*cairn::catalog::catalog::open(dir / "a"));
  auto id = *c->begin_run("home", 5);
  cairn::catalog::run_row ending{id, "home", 5, 9, cairn::catalog::run_status::ok, "{\"bytes_read\":3}", ""};
  auto bytes = c->snapshot_for_backup(dir / "scratch.db", &ending);
  REQUIRE(bytes);
  std::filesystem::create_directories(dir / "b");
  {
    std::ofstream out(dir / "b/catalog.db", std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  }
  auto copy = std::move(*cairn::catalog::catalog::open(dir / "b"));
  auto runs = *copy->runs("home", 10);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == cairn::catalog::run_status::ok);
  CHECK(runs[0].finished_ns == 9);
  CHECK(runs[0].stats_json == "{\"bytes_read\":3}");
  CHECK(c->runs("home", 10)->at(0).status == cairn::catalog::run_status::running);
}

TEST_CASE("catalog: every run status is one word that reads back as itself") {
  using cairn::catalog::run_status;
  for (auto s : {run_status::running, run_status::ok, run_status::skipped, run_status::partial, run_status::failed,
                 run_status::cancelled}) {
    INFO(to_string(s));
    CHECK(cairn::catalog::parse_run_status(to_string(s)) == s);
  }
  CHECK_FALSE(cairn::catalog::parse_run_status("OK"));
  CHECK_FALSE(cairn::catalog::parse_run_status(""));
  CHECK(succeeded(run_status::skipped));
  CHECK_FALSE(succeeded(run_status::partial));
  CHECK(went_wrong(run_status::partial));
  CHECK_FALSE(went_wrong(run_status::cancelled));
}

TEST_CASE("catalog: a run status this version does not know shows as a failed run that says so") {
  testing::temp_dir dir;
  auto c = std::move(*cairn::catalog::catalog::open(dir / "a"));
  auto id = *c->begin_run("home", 5);
  REQUIRE(c->finish_run({id, "home", 5, 9, cairn::catalog::run_status::partial, "{}", "usb: gone"}));
  {
    // As a newer Cairn (or a damaged catalog restored from a target) leaves it.
    SQLite::Database db((dir / "a/catalog.db").string(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE runs SET status='interrupted-by-" + std::string(200, 'z') + "'");
  }
  auto runs = c->runs("home", 10);
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).status == cairn::catalog::run_status::failed);
  // The word is named, cut to its first 40 bytes.
  auto named = "unknown run status '" + ("interrupted-by-" + std::string(200, 'z')).substr(0, 40) + "' in the catalog";
  CHECK(runs->at(0).error.rfind(named, 0) == 0);
  CHECK(runs->at(0).error.find("usb: gone") != std::string::npos);
}

TEST_CASE("catalog: a damaged file is a clear error") {
  testing::temp_dir dir;
  std::filesystem::create_directories(dir / "s");
  FILE* f = std::fopen((dir / "s/catalog.db").c_str(), "w");
  std::fputs("this is not a database, it is a text file of some length......", f);
  std::fclose(f);
  auto c = cairn::catalog::catalog::open(dir / "s");
  REQUIRE_FALSE(c);
  CHECK(c.error().message().find("catalog") != std::string::npos);
}
