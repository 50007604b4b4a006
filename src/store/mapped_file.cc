// MappedFile: pre-allocated, shared-mapped store file. See mapped_file.h for the contract.
#include "store/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/log.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older kernels answer EINVAL and we carry on
#endif

namespace mq::store {

namespace {
constexpr size_t kFileNameDigits = 20;

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }
}  // namespace

std::string FileNameForOffset(int64_t offset) {
  MQ_ASSERT(offset >= 0);
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%020lld", static_cast<long long>(offset));
  MQ_ASSERT(n == static_cast<int>(kFileNameDigits));
  return std::string(buf, static_cast<size_t>(n));
}

Result<int64_t> OffsetFromFileName(const std::string& name) {
  if (name.size() != kFileNameDigits) {
    return Status::SystemError("not a 20-digit store file name: " + name);
  }
  int64_t value = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return Status::SystemError("not a 20-digit store file name: " + name);
    const int64_t digit = c - '0';
    if (value > (INT64_MAX - digit) / 10) return Status::SystemError("store file offset overflows: " + name);
    value = value * 10 + digit;
  }
  return value;
}

FileFaults& GlobalFileFaults() {
  static FileFaults faults;
  return faults;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(data_, size_bytes_);
  if (fd_ >= 0) ::close(fd_);
}

// Creates `path` at its full size atomically: the blocks are reserved in a hidden temporary file
// which is then renamed into place without replacing anything. A crash mid-creation leaves only the
// temporary (ignored by every loader: not a 20-digit name), never a short file under the real name,
// and of two racing creators the loser opens the winner's complete file. Returns an open fd.
Result<int> MappedFile::CreateFullSize(const std::string& path, uint64_t size_bytes) {
  static std::atomic<uint64_t> counter{0};
  const size_t slash = path.rfind('/');
  const std::string tmp = path.substr(0, slash + 1) + ".creating-" + path.substr(slash + 1) + "-" +
                          std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::Error(ResponseCode::kServiceNotAvailable, "CREATE_MAPEDFILE_FAILED: open " + tmp + ": " + ErrnoText(errno));
  }
  // Reserve every block now: a full disk fails here, never as SIGBUS on a later store.
  const int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(size_bytes));
  if (rc != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::Error(ResponseCode::kServiceNotAvailable, "CREATE_MAPEDFILE_FAILED: fallocate " + path + ": " + ErrnoText(rc));
  }
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    if (err != EEXIST) {
      return Status::Error(ResponseCode::kServiceNotAvailable, "CREATE_MAPEDFILE_FAILED: rename " + tmp + ": " + ErrnoText(err));
    }
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);  // another creator won: use its complete file
    if (fd < 0) {
      return Status::Error(ResponseCode::kServiceNotAvailable, "CREATE_MAPEDFILE_FAILED: open " + path + ": " + ErrnoText(errno));
    }
  }
  return fd;
}

Result<std::shared_ptr<MappedFile>> MappedFile::Open(const std::string& dir, int64_t start_offset,
                                                     uint64_t size_bytes, bool create) {
  MQ_ASSERT(size_bytes > 0);
  MQ_ASSERT(start_offset >= 0);
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->start_offset_ = start_offset;
  file->size_bytes_ = size_bytes;
  file->path_ = dir + "/" + FileNameForOffset(start_offset);

  int fd = ::open(file->path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    if (GlobalFileFaults().fail_create.load(std::memory_order_acquire)) {
      return Status::Error(ResponseCode::kServiceNotAvailable,
                           "CREATE_MAPEDFILE_FAILED: " + file->path_ + ": " + ErrnoText(ENOSPC) + " (injected)");
    }
    auto made = CreateFullSize(file->path_, size_bytes);
    if (!made.ok()) return made.status();
    fd = *made;
  }
  if (fd < 0) {
    const int err = errno;
    return Status::Error(ResponseCode::kServiceNotAvailable,
                         "CREATE_MAPEDFILE_FAILED: open " + file->path_ + ": " + ErrnoText(err));
  }
  file->fd_ = fd;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::SystemError("fstat " + file->path_ + ": " + ErrnoText(errno));
  const uint64_t existing = static_cast<uint64_t>(st.st_size);
  if (existing != size_bytes) {
    return Status::SystemError("store file " + file->path_ + " has " + std::to_string(existing) +
                               " bytes, configured size is " + std::to_string(size_bytes));
  }
  void* addr = ::mmap(nullptr, size_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    return Status::Error(ResponseCode::kServiceNotAvailable,
                         "CREATE_MAPEDFILE_FAILED: mmap " + file->path_ + ": " + ErrnoText(errno));
  }
  file->data_ = static_cast<uint8_t*>(addr);
  return file;
}

Status MappedFile::Sync() {
  MQ_ASSERT(fd_ >= 0);
  if (GlobalFileFaults().fail_sync.load(std::memory_order_acquire)) {
    return Status::SystemError("fdatasync " + path_ + ": " + ErrnoText(EIO) + " (injected)");
  }
  // fdatasync writes back pages dirtied through the shared mapping too (IO_URING.md 6): no msync.
  if (::fdatasync(fd_) != 0) return Status::SystemError("fdatasync " + path_ + ": " + ErrnoText(errno));
  return Status::Ok();
}

void MappedFile::PrefaultRead() {
  MQ_ASSERT(data_ != nullptr);
  // In chunks: populating holds the process's mmap lock, and one call over a whole segment (1 GiB)
  // would stall every mmap/munmap of the process (allocator included) and, behind that waiting
  // writer, the shards' page faults, for as long as it runs.
  constexpr uint64_t kChunkBytes = 4ull << 20;
  for (uint64_t at = 0; at < size_bytes_; at += kChunkBytes) {
    if (::madvise(data_ + at, std::min(kChunkBytes, size_bytes_ - at), MADV_POPULATE_READ) != 0) {
      if (errno != EINVAL) MQ_LOG_WARN("madvise(MADV_POPULATE_READ) {}: {}", path_, ErrnoText(errno));
      return;
    }
  }
}

void MappedFile::ZeroFrom(uint64_t pos) {
  MQ_ASSERT(pos <= size_bytes_);
  // Recovery zeroes up to a whole segment; pages that already read as zero (the pre-allocated tail)
  // are left clean so they are neither dirtied nor written back.
  constexpr uint64_t kPage = 4096;
  uint64_t at = pos;
  while (at < size_bytes_) {
    const uint64_t chunk_end = std::min(size_bytes_, (at / kPage + 1) * kPage);
    const uint8_t* p = data_ + at;
    bool zero = true;
    for (uint64_t i = 0; i < chunk_end - at; ++i) {
      if (p[i] != 0) {
        zero = false;
        break;
      }
    }
    if (!zero) std::memset(data_ + at, 0, chunk_end - at);
    at = chunk_end;
  }
  for (uint64_t i = pos; i < size_bytes_; i += kPage) MQ_ASSERT(data_[i] == 0);
}

int64_t MappedFile::last_modified_ms() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

void MappedFile::Destroy() {
  bool expected = false;
  if (!destroyed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return;
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    MQ_LOG_WARN("unlink {}: {}", path_, ErrnoText(errno));
  }
}

}  // namespace mq::store
