// One message-key index file (spec 6.4), bit-compatible with RocketMQ 4.x: a 40-byte header,
// max_hash_slots 4-byte slots (newest entry number per slot), then max_index_count 20-byte entries
// (keyHash, phys offset, timeDiff seconds, previous entry in the slot chain). Entry 0 is never used.
// Files are named by their creation local time, yyyyMMddHHmmssSSS, in <root>/index/.
//
// Ownership: the IndexService's shard owns the file; no locks inside. The file is mapped shared and
// pre-allocated (a full disk fails at creation, never as SIGBUS on a later write).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mq::store {

inline constexpr uint64_t kIndexHeaderBytes = 40;
inline constexpr uint64_t kIndexSlotBytes = 4;
inline constexpr uint64_t kIndexEntryBytes = 20;
inline constexpr int32_t kDefaultMaxHashSlots = 5000000;
inline constexpr int32_t kDefaultMaxIndexCount = 20000000;

struct IndexHeader {
  int64_t begin_timestamp_ms = 0;
  int64_t end_timestamp_ms = 0;
  int64_t begin_phys_offset = 0;
  int64_t end_phys_offset = 0;
  int32_t hash_slot_count = 0;  // slots in use
  int32_t index_count = 1;      // next entry number; entry 0 is never used
};

// |java hash of key|, 0 when the absolute value overflows (Integer.MIN_VALUE).
int32_t IndexKeyHash(std::string_view index_key);
// 40 + slots*4 + entries*20; the geometry both sides of a file must agree on.
constexpr uint64_t IndexFileBytes(int32_t max_hash_slots, int32_t max_index_count) {
  return kIndexHeaderBytes + static_cast<uint64_t>(max_hash_slots) * kIndexSlotBytes +
         static_cast<uint64_t>(max_index_count) * kIndexEntryBytes;
}

class IndexFile {
 public:
  ~IndexFile();
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;

  // Creates dir/name with an empty header whose begin/end are the previous file's end (RocketMQ
  // does the same so a new file's time range starts where the last one stopped).
  static Result<std::unique_ptr<IndexFile>> Create(const std::string& dir, const std::string& name,
                                                   int32_t max_hash_slots, int32_t max_index_count,
                                                   int64_t prev_end_phys_offset, int64_t prev_end_timestamp_ms);
  // Opens an existing file; its size must match the geometry, its header counts must be in range.
  static Result<std::unique_ptr<IndexFile>> Open(const std::string& path, int32_t max_hash_slots,
                                                 int32_t max_index_count);

  // Adds one key (already "<topic>#<key>"). False when the file is full (nothing written).
  bool Put(std::string_view index_key, int64_t phys_offset, int64_t store_timestamp_ms);
  // Appends to out the phys offsets of entries with the key's hash whose time is in [begin, end],
  // newest first, until out holds max_num offsets.
  void Select(std::string_view index_key, size_t max_num, int64_t begin_ms, int64_t end_ms,
              std::vector<int64_t>& out) const;
  // Whether [begin, end] overlaps the file's [beginTimestamp, endTimestamp].
  bool TimeOverlaps(int64_t begin_ms, int64_t end_ms) const;

  bool full() const { return header_.index_count >= max_index_count_; }
  const IndexHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }

  Status Sync();
  // Unlinks the file; the mapping goes with the object.
  void Destroy();

 private:
  IndexFile() = default;
  static Result<std::unique_ptr<IndexFile>> Map(const std::string& path, int32_t max_hash_slots,
                                                int32_t max_index_count, bool create);
  void LoadHeader();
  void StoreHeader();
  uint8_t* SlotAt(uint32_t slot) const;
  uint8_t* EntryAt(int32_t number) const;

  int fd_ = -1;
  uint8_t* data_ = nullptr;
  uint64_t size_bytes_ = 0;
  int32_t max_hash_slots_ = 0;
  int32_t max_index_count_ = 0;
  std::string path_;
  std::string name_;
  IndexHeader header_;
};

}  // namespace mq::store
