// Key slots: list, add, remove, change a password. Changes rewrite only the
// repository header, atomically, under an exclusive lock.
#include "service/application.hpp"

#include "repo/repo_format.hpp"

namespace cairn::service {

namespace fs = std::filesystem;

namespace {

std::vector<key_line> lines_of(const std::string& target, const repo::repository_header& h,
                               const std::string& current) {
  std::vector<key_line> out;
  for (const auto& s : h.key_slots)
    out.push_back({target, s.id, std::string(crypto::to_string(s.kind)), s.created_ns, s.pcrs, s.id == current});
  return out;
}

// Runs `change` on the header of every selected target under an exclusive
// lock and writes it back in one atomic put.
template <class F>
expected<std::vector<key_line>> for_each_header(engine& e, const std::string& target, bool writing, F&& change) {
  const auto& suite = e.suite();
  if (!target.empty() && !suite.find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + suite.file.string());
  std::vector<key_line> out;
  for (const auto& t : suite.targets) {
    if (!target.empty() && t.name != target) continue;
    // The header and the keys are all a key command needs.
    CAIRN_ASSIGN(auto opened, e.open_target(t.name, open_mode::state));
    auto& repo = *opened.repo;
    // A write-only machine may list its slots, not change them: a changed
    // slot could lock the private key's holder out.
    if (writing && !repo.cipher().can_read())
      return fail(errc::auth, t.name + ": " + std::string(crypto::write_only_message));
    if (repo.header().encryption == crypto::encryption::none) {
      if (writing) return fail(errc::invalid_input, t.name + ": the repository is not encrypted: it has no key slots");
      continue;
    }
    std::unique_ptr<repo::repository_lock> lock;
    if (writing) {
      CAIRN_ASSIGN(lock, repo.lock(true, "key change"));
    }
    // Fresh from the target: another machine may have changed it meanwhile.
    CAIRN_ASSIGN(auto header, repo::repository::read_header(*repo.target()));
    CAIRN_TRY(change(t.name, repo, header, opened.slot));
    if (writing) {
      auto cipher = crypto::object_cipher(header.encryption, repo.keys());
      CAIRN_TRY(repo::verify_header(header, cipher));  // keys still open the settings
      CAIRN_TRY(repo.write_header(header));
    }
    for (auto& l : lines_of(t.name, header, opened.slot)) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

expected<std::vector<key_line>> application::key_list(const std::string& target) {
  return for_each_header(*engine_, target, false,
                         [](const std::string&, repo::repository&, repo::repository_header&,
                            const std::string&) -> status { return {}; });
}

expected<std::vector<key_line>> application::key_add(const std::string& target, crypto::slot_kind kind,
                                                     const std::filesystem::path& keyfile) {
  return for_each_header(*engine_, target, true,
                         [&](const std::string&, repo::repository& repo, repo::repository_header& h,
                             const std::string&) -> status {
                           std::error_code ec;
                           auto path = keyfile.empty() ? keyfile : fs::absolute(keyfile, ec);
                           CAIRN_ASSIGN(auto slot, engine_->new_slot({h.repository_id, repo.keys(), kind, path}));
                           h.key_slots.push_back(std::move(slot));
                           return {};
                         });
}

expected<std::vector<key_line>> application::key_remove(const std::string& target, const std::string& slot) {
  bool found = false;
  auto r = for_each_header(*engine_, target, true,
                           [&](const std::string& name, repo::repository&, repo::repository_header& h,
                               const std::string& current) -> status {
                             auto it = std::find_if(h.key_slots.begin(), h.key_slots.end(),
                                                    [&](const crypto::key_slot& s) { return s.id == slot; });
                             if (it == h.key_slots.end()) return {};
                             found = true;
                             if (h.key_slots.size() == 1)
                               return fail(errc::invalid_input, name + ": key slot " + slot +
                                                                  " is the last one: without it nothing opens the repository");
                             if (slot == current)
                               return fail(errc::invalid_input,
                                           name + ": key slot " + slot +
                                             " is the one that opened the repository in this command; open it through another slot (--keyfile or --password) to remove this one");
                             h.key_slots.erase(it);
                             return {};
                           });
  if (r && !found) return fail(errc::not_found, "no key slot " + slot + (target.empty() ? "" : " in target " + target));
  return r;
}

expected<std::vector<key_line>> application::key_passwd(const std::string& target, const std::string& slot) {
  bool found = false;
  auto r = for_each_header(*engine_, target, true,
                           [&](const std::string& name, repo::repository& repo, repo::repository_header& h,
                               const std::string&) -> status {
                             auto it = std::find_if(h.key_slots.begin(), h.key_slots.end(),
                                                    [&](const crypto::key_slot& s) { return s.id == slot; });
                             if (it == h.key_slots.end()) return {};
                             found = true;
                             if (it->kind != crypto::slot_kind::password)
                               return fail(errc::invalid_input, name + ": key slot " + slot + " is a " +
                                                                  std::string(crypto::to_string(it->kind)) +
                                                                  " slot, not a password slot");
                             CAIRN_ASSIGN(auto fresh, engine_->new_slot({h.repository_id, repo.keys(),
                                                                         crypto::slot_kind::password, {}}));
                             // A new id too: the id is bound into the wrapped key.
                             *it = std::move(fresh);
                             return {};
                           });
  if (r && !found) return fail(errc::not_found, "no key slot " + slot + (target.empty() ? "" : " in target " + target));
  return r;
}

}  // namespace cairn::service
