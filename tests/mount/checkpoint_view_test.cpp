// The namespace and reads of `cairn mount`, without FUSE: a repository in
// memory holding one checkpoint with a file of three chunks.
#include <doctest/doctest.h>

#include "mount/checkpoint_view.hpp"
#include "repo/compression.hpp"
#include "repo/pack.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::mount;

namespace {

struct world {
  std::shared_ptr<repo::repository> repository;
  std::vector<byte_buffer> chunks;
  object_id checkpoint_id;
  int64_t time_ns = 1'700'000'000'000'000'000;

  world() {
    repo::create_options o;
    o.encryption = crypto::encryption::none;
    repository = *repo::repository::create(std::make_shared<targets::memory_target>(), o, nullptr, {});
    repo::pack_writer w(repository->cipher(), repository->header().pack_size);
    auto put = [&](repo::blob_type type, const byte_buffer& plain) {
      auto id = repository->make_hasher().id_of(plain);
      w.add(type, id, repo::encode_blob(plain, 3), static_cast<uint32_t>(plain.size()));
      return id;
    };
    repo::node file;
    file.name = "f";
    file.meta.type = fs::file_type::regular;
    file.meta.mode = 0640;
    file.meta.size = 3000;
    file.meta.xattrs = {{"user.a", byte_buffer{'x'}}};
    for (uint8_t c = 0; c < 3; ++c) {
      chunks.emplace_back(1000, static_cast<uint8_t>('a' + c));
      file.content.push_back(put(repo::blob_type::data, chunks.back()));
    }
    repo::node link;
    link.name = "l";
    link.meta.type = fs::file_type::symlink;
    link.meta.link_target = "f";
    repo::tree src{{file, link}};
    repo::node dir;
    dir.name = "src";
    dir.meta.type = fs::file_type::directory;
    dir.meta.mode = 0750;
    dir.subtree = put(repo::blob_type::tree, repo::encode_tree(src));
    auto root = put(repo::blob_type::tree, repo::encode_tree(repo::tree{{dir}}));
    auto p = w.finish().value();
    REQUIRE(repository->store_pack(p));
    REQUIRE(repository->write_index({p.record}));
    repo::checkpoint c;
    c.plan = "home";
    c.time_ns = time_ns;
    c.tree = root;
    checkpoint_id = *repository->write_checkpoint(c);
  }

  checkpoint_view view(uint64_t cache_bytes = 1 << 20) {
    catalog::checkpoint_row row;
    row.id = checkpoint_id.hex();
    row.target = "disk";
    row.plan = "home";
    row.time_ns = time_ns;
    return checkpoint_view({{"home", "disk", repository, {row}}}, cache_bytes, time_ns);
  }
};

}  // namespace

TEST_CASE("checkpoint_view: plans, targets, checkpoints by time, id and latest") {
  world w;
  auto v = w.view();
  CHECK(*v.list("/") == std::vector<std::string>{"home", stats_name});
  CHECK(*v.list("/home") == std::vector<std::string>{"disk"});
  CHECK(*v.list("/home/disk") == std::vector<std::string>{"2023-11-14T22:13:20Z", "latest", "by-id"});
  auto latest = v.lookup("/home/disk/latest");
  REQUIRE(latest);
  CHECK(latest->meta.type == fs::file_type::symlink);
  CHECK(latest->meta.link_target == "2023-11-14T22:13:20Z");
  CHECK(v.lookup("/home/disk/by-id/" + w.checkpoint_id.hex())->meta.link_target == "../2023-11-14T22:13:20Z");
  auto f = v.lookup("/home/disk/2023-11-14T22:13:20Z/src/f");
  REQUIRE(f);
  CHECK(f->meta.size == 3000);
  CHECK(f->meta.mode == 0640);
  CHECK(f->meta.xattrs.size() == 1);
  CHECK(*v.list("/home/disk/2023-11-14T22:13:20Z/src") == std::vector<std::string>{"f", "l"});
  CHECK(v.lookup("/home/disk/2023-11-14T22:13:20Z/src/l")->meta.link_target == "f");
  CHECK(v.lookup("/home/disk/2023-11-14T22:13:20Z/src/f/below").error().code() == errc::not_found);
  CHECK(v.lookup("/home/nas").error().code() == errc::not_found);
  CHECK(v.lookup("/nope").error().code() == errc::not_found);
}

TEST_CASE("checkpoint_view: a read fetches only the chunks it covers, through a bounded cache") {
  world w;
  auto v = w.view(1500);  // room for one chunk of 1000 bytes
  auto f = v.open("/home/disk/2023-11-14T22:13:20Z/src/f");
  REQUIRE(f);
  CHECK(f->size == 3000);
  std::string out(300, '\0');
  auto n = v.read(*f, 2500, out.data(), out.size());
  REQUIRE(n);
  CHECK(*n == 300);
  CHECK(out == std::string(300, 'c'));
  CHECK(v.stats().blobs_fetched == 1);
  CHECK(v.stats().bytes_fetched == 1000);
  // Across a chunk boundary, and past the end.
  out.assign(200, '\0');
  REQUIRE(v.read(*f, 900, out.data(), out.size()));
  CHECK(out == std::string(100, 'a') + std::string(100, 'b'));
  CHECK(*v.read(*f, 2900, out.data(), out.size()) == 100);
  CHECK(*v.read(*f, 3000, out.data(), out.size()) == 0);
  auto before = v.stats();
  REQUIRE(v.read(*f, 2990, out.data(), 10));
  CHECK(v.stats().cache_hits == before.cache_hits + 1);  // the last chunk is still cached
  CHECK(v.open("/home/disk/2023-11-14T22:13:20Z/src").error().code() == errc::invalid_input);
}
