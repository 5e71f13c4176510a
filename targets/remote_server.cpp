#include "targets/remote_server.hpp"

#include "targets/append_only.hpp"
#include "targets/detail/frame_io.hpp"
#include "targets/remote_protocol.hpp"

namespace cairn::targets {

namespace {

using remote::op;

constexpr size_t entries_frame_bytes = 1u << 20;

struct session {
  local_target& store;
  const serve_options& options;

  status send(byte_view payload) { return detail::write_frame(options.out_fd, payload, -1); }

  status answer(op o, const remote::result& r) { return send(remote::encode_result(o, r)); }

  // The store's messages start with its "local:/srv/cairn: ": the client names the target itself.
  remote::result failure(const error& e) {
    auto message = e.message();
    auto own = store.describe() + ": ";
    if (message.compare(0, own.size(), own) == 0) message.erase(0, own.size());
    remote::result r;
    r.failure = error{e.code(), message};
    return r;
  }

  template <class T>
  remote::result outcome(const expected<T>& e) {
    return e ? remote::result{} : failure(e.error());
  }

  status get(const remote::request& q) {
    // One byte past the bound tells an object too large for one frame.
    auto range = q.range;
    range.length = std::min<uint64_t>(range.length, remote::max_object_bytes + 1);
    auto bytes = store.get(q.name, range);
    if (!bytes) return answer(op::get, failure(bytes.error()));
    if (bytes->size() > remote::max_object_bytes)
      return answer(op::get, failure(error{errc::unsupported, q.name + " is larger than one transfer may be (" +
                                                                  std::to_string(remote::max_object_bytes) + " bytes): ask for a range"}));
    remote::result r;
    r.data = *bytes;
    return answer(op::get, r);
  }

  status list(const remote::request& q) {
    std::vector<object_info> batch;
    size_t batch_bytes = 0;
    status sent;
    auto flush = [&] {
      if (!batch.empty()) sent = send(remote::encode_entries(batch));
      batch.clear();
      batch_bytes = 0;
      return bool(sent);
    };
    auto listed = store.list(q.name, [&](const object_info& info) {
      batch_bytes += info.name.size() + 16;
      batch.push_back(info);
      if (batch.size() < remote::max_entries_per_frame && batch_bytes < entries_frame_bytes) return true;
      return flush();
    });
    if (listed) flush();
    if (!sent) return sent;
    return answer(op::list, outcome(listed));
  }

  status handle(const remote::request& q) {
    switch (q.kind) {
      case op::hello: return answer(op::hello, failure(error{errc::invalid_input, "a second hello"}));
      case op::put:
        return answer(op::put, outcome(options.append_only ? append_only_put(store, q.name, q.data)
                                                           : store.put(q.name, q.data)));
      case op::get: return get(q);
      case op::stat: {
        auto info = store.stat(q.name);
        auto r = outcome(info);
        if (info) r.size = info->size;
        return answer(op::stat, r);
      }
      case op::list: return list(q);
      case op::remove:
        return answer(op::remove, outcome(options.append_only ? append_only_remove(store, q.name) : store.remove(q.name)));
    }
    return {};
  }

  status hello() {
    auto frame = detail::read_frame(options.in_fd, remote::max_frame_bytes, -1);
    if (!frame) return fail(frame.error());
    if (!*frame) return {};  // closed before saying anything
    auto q = remote::decode_request(**frame);
    if (!q || q->kind != op::hello) {
      auto e = q ? error{errc::corrupt, "expected a hello"} : q.error();
      (void)answer(op::hello, failure(e));
      return fail(e);
    }
    if (options.refuse) {
      (void)answer(op::hello, failure(*options.refuse));
      return fail(*options.refuse);
    }
    if (q->version < remote::protocol_version) {
      error e{errc::unsupported, "the client speaks serve protocol " + std::to_string(q->version) +
                                   ", this server " + std::to_string(remote::protocol_version) + ": upgrade the client"};
      (void)answer(op::hello, failure(e));
      return fail(e);
    }
    remote::result r;
    r.version = remote::protocol_version;
    r.append_only = options.append_only;
    return answer(op::hello, r);
  }
};

}  // namespace

status serve(local_target& store, const serve_options& options) {
  session s{store, options};
  CAIRN_TRY(s.hello());
  for (;;) {
    auto frame = detail::read_frame(options.in_fd, remote::max_frame_bytes, -1);
    if (!frame) {
      // A frame past the bound: the stream cannot be followed further.
      (void)s.answer(op::hello, s.failure(frame.error()));
      return fail(frame.error());
    }
    if (!*frame) return {};
    auto q = remote::decode_request(**frame);
    // A malformed request within a well-framed stream: answered, and serving goes on.
    if (!q) {
      CAIRN_TRY(s.answer(op::remove, s.failure(q.error())));
      continue;
    }
    CAIRN_TRY(s.handle(*q));
  }
}

}  // namespace cairn::targets
