// One fixed-size, memory-mapped store file (a commit-log segment, a consume-queue file, an index
// file), named by the 20-digit decimal of its start offset. The file is pre-allocated at full size
// (fallocate, so a full disk fails at creation, never as SIGBUS on a later write) and mapped shared;
// durability is fdatasync on the fd (writes through a shared mapping are covered; msync is not
// needed). Write positions are the owner's business. Files are shared_ptr-owned: a reader that hands
// slices to the network keeps a copy (that is the pin), so retention's Destroy() unlinks the file at
// once but the mapping lives until the last reader lets go.
//
// Thread-safety: the mapping may be read from any thread; writes, Sync and Destroy belong to the
// owner.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace mq::store {

// "00000000001073741824" for 1073741824.
std::string FileNameForOffset(int64_t offset);
// Parses a 20-digit file name; nullopt-like error for anything else.
Result<int64_t> OffsetFromFileName(const std::string& name);

// Fault-injection seam for tests: when set, consulted before creating a file and before each sync.
// Production code never sets it.
struct FileFaults {
  std::atomic<bool> fail_create{false};  // creation fails as with ENOSPC
  std::atomic<bool> fail_sync{false};    // fdatasync fails as with EIO
};
FileFaults& GlobalFileFaults();

class MappedFile {
 public:
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Opens `dir/FileNameForOffset(start_offset)`; creates and pre-allocates it when `create` is true
  // and it does not exist. An existing file of another size is an error (RocketMQ refuses it too).
  static Result<std::shared_ptr<MappedFile>> Open(const std::string& dir, int64_t start_offset,
                                                  uint64_t size_bytes, bool create);

  int64_t start_offset() const { return start_offset_; }
  uint64_t size_bytes() const { return size_bytes_; }
  const std::string& path() const { return path_; }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }

  // fdatasync: everything written through the mapping so far is durable on success.
  Status Sync();
  // Populates the page cache and the mapping for reading (MADV_POPULATE_READ): no page is dirtied,
  // so nothing is written back; a later store takes only a write-protect fault.
  void PrefaultRead();
  // Zeroes [pos, size) (recovery truncation of a torn tail).
  void ZeroFrom(uint64_t pos);
  int64_t last_modified_ms() const;

  // Deletes the file now; the mapping is released when the last shared_ptr goes.
  void Destroy();
  bool destroyed() const { return destroyed_.load(std::memory_order_acquire); }

 private:
  MappedFile() = default;
  static Result<int> CreateFullSize(const std::string& path, uint64_t size_bytes);

  int fd_ = -1;
  uint8_t* data_ = nullptr;
  int64_t start_offset_ = 0;
  uint64_t size_bytes_ = 0;
  std::string path_;
  std::atomic<bool> destroyed_{false};
};

}  // namespace mq::store
