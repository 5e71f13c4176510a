#include "crypto/secret.hpp"

#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "base/assert.hpp"

namespace cairn::crypto {

namespace {
size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}
}  // namespace

secret::secret(size_t size) : size_(size) {
  if (size == 0) return;
  mapped_ = (size + page_size() - 1) / page_size() * page_size();
  void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Best effort: locking may exceed RLIMIT_MEMLOCK for unprivileged users.
  (void)mlock(p, mapped_);
  (void)madvise(p, mapped_, MADV_DONTDUMP);
  ptr_ = static_cast<uint8_t*>(p);
}

secret secret::random(size_t size) {
  secret s(size);
  random_fill(s.data(), size);
  return s;
}

secret secret::copy_of(byte_view bytes) {
  secret s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data(), bytes.data(), bytes.size());
  return s;
}

secret::secret(const secret& other) : secret(other.size_) {
  if (size_ != 0) std::memcpy(ptr_, other.ptr_, size_);
}

secret::secret(secret&& other) noexcept
  : ptr_(other.ptr_), size_(other.size_), mapped_(other.mapped_) {
  other.ptr_ = nullptr;
  other.size_ = other.mapped_ = 0;
}

secret& secret::operator=(const secret& other) {
  if (this != &other) *this = secret(other);
  return *this;
}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    release();
    ptr_ = other.ptr_;
    size_ = other.size_;
    mapped_ = other.mapped_;
    other.ptr_ = nullptr;
    other.size_ = other.mapped_ = 0;
  }
  return *this;
}

secret::~secret() { release(); }

void secret::release() noexcept {
  if (ptr_ == nullptr) return;
  explicit_bzero(ptr_, mapped_);
  munlock(ptr_, mapped_);
  munmap(ptr_, mapped_);
  ptr_ = nullptr;
  size_ = mapped_ = 0;
}

bool secret::equals(const secret& other) const {
  if (size_ != other.size_) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < size_; ++i) diff |= ptr_[i] ^ other.ptr_[i];
  return diff == 0;
}

void random_fill(uint8_t* out, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(out, n, 0);
    if (got < 0) {
      CAIRN_ASSERT(errno == EINTR);
      continue;
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
}

byte_buffer random_bytes(size_t n) {
  byte_buffer out(n);
  random_fill(out.data(), n);
  return out;
}

void disable_core_dumps() {
  struct rlimit limit {0, 0};
  setrlimit(RLIMIT_CORE, &limit);
}

}  // namespace cairn::crypto
