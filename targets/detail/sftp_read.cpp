#include "targets/detail/sftp_read.hpp"

#include <algorithm>
#include <deque>
#include <vector>

namespace cairn::targets::detail {

namespace {

struct span {
  size_t at = 0;  // offset in the output
  size_t want = 0;
};

struct request : span {
  uint32_t id = 0;
};

}  // namespace

sftp_read_result sftp_read_at(sftp_file file, uint64_t offset, uint8_t* out, size_t length,
                              size_t& block, size_t depth) {
  constexpr size_t smallest_block = 16 * 1024;
  std::deque<request> pending;
  std::vector<span> rest;  // tails of short answers, asked for again first
  size_t issued = 0;
  auto issue = [&](span s) {
    // libssh reads at the handle's offset and moves it by what it asks (and
    // back by what a short answer lacked): set it for every request.
    sftp_seek64(file, offset + s.at);
    int id = sftp_async_read_begin(file, static_cast<uint32_t>(s.want));
    if (id < 0) return false;
    pending.push_back({s, static_cast<uint32_t>(id)});
    return true;
  };
  for (;;) {
    while (pending.size() < depth && (!rest.empty() || issued < length)) {
      span s;
      if (!rest.empty()) {
        s = rest.back();
        rest.pop_back();
      } else {
        s = {issued, std::min(block, length - issued)};
        issued += s.want;
      }
      if (!issue(s)) return {sftp_read_result::failed, 0, !pending.empty()};
    }
    if (pending.empty()) return {};
    request r = pending.front();
    pending.pop_front();
    int got = sftp_async_read(file, out + r.at, static_cast<uint32_t>(r.want), r.id);
    if (got < 0) return {sftp_read_result::failed, 0, !pending.empty()};
    if (got == 0) return {sftp_read_result::ended_early, offset + r.at, !pending.empty()};
    if (static_cast<size_t>(got) < r.want) {
      rest.push_back({r.at + static_cast<size_t>(got), r.want - static_cast<size_t>(got)});
      block = std::max(smallest_block, std::min(block, static_cast<size_t>(got)));
    }
  }
}

}  // namespace cairn::targets::detail
