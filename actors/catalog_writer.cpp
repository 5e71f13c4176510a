#include "actors/catalog_writer.hpp"

#include "actors/error.hpp"
#include "base/clock.hpp"

namespace cairn::actors {

namespace {

// Ends an open batch of file-cache writes.
void flush(catalog_actor::stateful_pointer<catalog_writer_state> self) {
  if (self->state.batched == 0) return;
  (void)self->state.db->commit();
  self->state.batched = 0;
}

template <class T>
caf::result<T> reply(const expected<T>& r) {
  if (!r) return to_caf(r.error());
  return *r;
}

caf::result<bool> reply(const status& r) {
  if (!r) return to_caf(r.error());
  return true;
}

}  // namespace

catalog_actor::behavior_type catalog_writer(
  catalog_actor::stateful_pointer<catalog_writer_state> self,
  std::shared_ptr<catalog::catalog> db, std::filesystem::path state_dir) {
  self->state.db = std::move(db);
  self->state.state_dir = std::move(state_dir);
  return {
    [=](atom::record, const catalog::checkpoint_row& row) -> caf::result<bool> {
      flush(self);
      return reply(self->state.db->record_checkpoint(row));
    },
    [=](atom::record, const target_record& t) -> caf::result<bool> {
      flush(self);
      return reply(self->state.db->record_target(t.name, t.description, t.repository_id));
    },
    [=](atom::store, const file_cache_update& u) {
      auto& st = self->state;
      if (u.drop_unvisited && u.seal) {
        flush(self);
        (void)st.db->drop_unvisited(u.plan, u.target, u.directory, *u.seal);
        return;
      }
      if (st.batched == 0) (void)st.db->begin();
      (void)st.db->store_directory(u.plan, u.target, u.directory, u.entries, u.seal.get());
      if (++st.batched >= 256) flush(self);
    },
    [=](atom::begin, const std::string& plan) -> caf::result<int64_t> {
      flush(self);
      return reply(self->state.db->begin_run(plan, now_ns()));
    },
    [=](atom::finish, const catalog::run_row& row) -> caf::result<bool> {
      flush(self);
      return reply(self->state.db->finish_run(row));
    },
    [=](atom::list, const std::string& plan,
        const std::string& target) -> caf::result<std::vector<catalog::checkpoint_row>> {
      flush(self);
      return reply(self->state.db->checkpoints(plan, target));
    },
    [=](atom::forget, const std::string& target, const std::string& id) -> caf::result<bool> {
      flush(self);
      return reply(self->state.db->forget_checkpoint(target, id));
    },
    [=](atom::get, const std::string& key) -> caf::result<std::string> {
      flush(self);
      auto v = self->state.db->setting(key);
      if (!v) return to_caf(v.error());
      return v->value_or("");
    },
    [=](atom::set, const std::string& key, const std::string& value) -> caf::result<bool> {
      flush(self);
      return reply(self->state.db->set_setting(key, value));
    },
    [=](atom::snapshot, const catalog::run_row& finishing) -> caf::result<chunk_ptr> {
      flush(self);
      auto bytes = self->state.db->snapshot_for_backup(self->state.state_dir / "snapshot.tmp",
                                                       finishing.id ? &finishing : nullptr);
      if (!bytes) return to_caf(bytes.error());
      return make_chunk(std::move(*bytes));
    },
  };
}

}  // namespace cairn::actors
