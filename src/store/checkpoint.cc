// Checkpoint file; see checkpoint.h.
#include "store/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "store/mapped_file.h"

namespace mq::store {

namespace {

void PutBe64(uint8_t* p, int64_t v) {
  const uint64_t be = __builtin_bswap64(static_cast<uint64_t>(v));
  std::memcpy(p, &be, 8);
}
int64_t GetBe64(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return static_cast<int64_t>(__builtin_bswap64(v));
}

}  // namespace

Result<std::unique_ptr<Checkpoint>> Checkpoint::Open(const std::string& path) {
  std::unique_ptr<Checkpoint> cp(new Checkpoint());
  cp->path_ = path;
  cp->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (cp->fd_ < 0) return Status::SystemError("open " + path + ": " + std::strerror(errno));
  uint8_t buf[kFileBytes] = {};
  const ssize_t n = ::pread(cp->fd_, buf, sizeof(buf), 0);
  if (n < 0) return Status::SystemError("read " + path + ": " + std::strerror(errno));
  if (n == 0) {
    // New file: write the zero image so the file always has its full size.
    if (::pwrite(cp->fd_, buf, sizeof(buf), 0) != static_cast<ssize_t>(sizeof(buf))) {
      return Status::SystemError("write " + path + ": " + std::strerror(errno));
    }
  } else if (n < 24) {
    return Status::SystemError("checkpoint " + path + " is truncated (" + std::to_string(n) + " bytes)");
  }
  cp->physic_ms_.store(GetBe64(buf + 0));
  cp->logics_ms_.store(GetBe64(buf + 8));
  cp->index_ms_.store(GetBe64(buf + 16));
  return cp;
}

Checkpoint::~Checkpoint() {
  if (fd_ >= 0) ::close(fd_);
}

int64_t Checkpoint::MinTimestampMs() const {
  return std::max<int64_t>(0, std::min(physic_ms(), logics_ms()) - kMinTimestampSlackMs);
}

int64_t Checkpoint::MinTimestampIndexMs() const { return std::min(MinTimestampMs(), index_ms()); }

Status Checkpoint::Flush() {
  std::lock_guard<std::mutex> lock(flush_mu_);
  uint8_t buf[kFileBytes] = {};
  const int64_t values[3] = {physic_ms(), logics_ms(), index_ms()};
  for (size_t i = 0; i < 3; ++i) {
    PutBe64(buf + 8 * i, values[i]);
    MQ_ASSERT(GetBe64(buf + 8 * i) == values[i]);
  }
  if (::pwrite(fd_, buf, sizeof(buf), 0) != static_cast<ssize_t>(sizeof(buf))) {
    return Status::SystemError("write " + path_ + ": " + std::strerror(errno));
  }
  if (GlobalFileFaults().fail_sync.load(std::memory_order_acquire)) {
    return Status::SystemError("fdatasync " + path_ + ": injected EIO");
  }
  if (::fdatasync(fd_) != 0) return Status::SystemError("fdatasync " + path_ + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace mq::store
