#include "actors/sealer.hpp"

#include "actors/error.hpp"
#include "actors/timeouts.hpp"
#include "repo/compression.hpp"

namespace cairn::actors {

namespace {

// The reply being assembled while target actors accept the blob.
struct pending_seal {
  caf::typed_response_promise<seal_result> promise;
  seal_result result;
  size_t waiting = 0;
};

void use_context(sealer_actor::stateful_pointer<sealer_state> self,
                 const std::shared_ptr<const seal_context>& ctx) {
  auto& st = self->state;
  if (st.context == ctx) return;
  st.context = ctx;
  st.hashers.clear();
  for (const auto& t : ctx->targets) st.hashers.push_back(t.repo->make_hasher());
}

}  // namespace

sealer_actor::behavior_type sealer(sealer_actor::stateful_pointer<sealer_state> self) {
  return {
    [=](atom::seal, seal_job& job) -> caf::result<seal_result> {
      use_context(self, job.context);
      const auto& targets = job.context->targets;
      auto pending = std::make_shared<pending_seal>();
      pending->result.ids.resize(targets.size());
      pending->result.errors.resize(targets.size());
      chunk_ptr encoded;
      for (size_t t = 0; t < targets.size(); ++t) {
        if (!(job.active & (1u << t))) continue;
        auto id = self->state.hashers[t].id_of(job.data->view());
        pending->result.ids[t] = id;
        if (!targets[t].repo->index().claim(id)) continue;  // stored already, or by another sealer
        if (!encoded) {
          encoded = make_chunk(repo::encode_blob(job.data->view(), job.context->zstd_level));
          pending->result.bytes_new += job.data->size();
        }
        pending->result.bytes_stored += encoded->size();
        ++pending->waiting;
        auto repo = targets[t].repo;
        blob_store_request req{job.type, id, encoded, static_cast<uint32_t>(job.data->size())};
        auto done = [=] {
          if (--pending->waiting == 0) pending->promise.deliver(std::move(pending->result));
        };
        // No timeout per blob (two hours of CAF clock entries, one a blob): the
        // walk waits for this reply and fails the run after timeouts::seal.
        self->request(targets[t].actor, caf::infinite, atom::store::value, std::move(req))
          .then([=](bool) { done(); },
                [=](caf::error& e) {
                  repo->index().unclaim(id);
                  pending->result.failed |= 1u << t;
                  pending->result.errors[t] = describe(from_caf(e));
                  done();
                });
      }
      if (pending->waiting == 0) return std::move(pending->result);
      pending->promise = self->make_response_promise<seal_result>();
      return pending->promise;
    },
  };
}

}  // namespace cairn::actors
