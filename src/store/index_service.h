// The message-key index (spec 6.4): a sequence of IndexFiles in <root>/index/, oldest first. The
// dispatcher adds each record's UNIQ_KEY and KEYS words as "<topic>#<key>"; QUERY_MESSAGE looks keys
// up newest file first. Returned physical offsets may include hash collisions: the caller reads the
// records and compares keys.
//
// Ownership: one shard (the dispatcher's) owns the service and its files; no locks inside.
// Durability: a file that fills is only queued; FlushCompleted() syncs it off the dispatch path and
// hands back the timestamp the checkpoint's indexMsgTimestamp must record.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/index_file.h"

namespace mq::store {

inline constexpr size_t kMaxMsgsNumBatch = 64;  // maxMsgsNumBatch: the cap of one key query

struct IndexQueryResult {
  std::vector<int64_t> phys_offsets;                 // newest first
  int64_t index_last_update_timestamp_ms = 0;        // newest file's endTimestamp
  int64_t index_last_update_phys_offset = 0;         // newest file's endPhyOffset
};

class IndexService {
 public:
  // root_dir is storePathRootDir; geometry is maxHashSlotNum / maxIndexNum and must match the files.
  IndexService(std::string root_dir, int32_t max_hash_slots = kDefaultMaxHashSlots,
               int32_t max_index_count = kDefaultMaxIndexCount);

  // Opens the files in name order. After an abnormal exit (last_exit_ok false) files whose
  // endTimestamp > checkpoint_index_timestamp_ms are deleted: their records are re-dispatched.
  Status Load(bool last_exit_ok, int64_t checkpoint_index_timestamp_ms);

  // Indexes one record: uniq_key (when not empty), then every non-empty space-separated word of keys.
  // Records below the newest file's endPhyOffset are already indexed and are skipped. The caller
  // leaves out ROLLBACK records and honours messageIndexEnable. Fails only when a file cannot be created.
  Status BuildIndex(std::string_view topic, std::string_view keys, std::string_view uniq_key, int64_t phys_offset,
                    int64_t store_timestamp_ms);

  // Offsets of records indexed under <topic>#<key> stored in [begin_ms, end_ms]; at most
  // min(max_num, kMaxMsgsNumBatch).
  IndexQueryResult QueryOffsets(std::string_view topic, std::string_view key, size_t max_num, int64_t begin_ms,
                                int64_t end_ms) const;

  // Deletes the files (never the newest) whose endPhyOffset < commit_log_min_offset. Returns the count.
  size_t DeleteExpired(int64_t commit_log_min_offset);
  // Syncs the files that filled since the last call. Returns the newest completed file's
  // endTimestamp (the checkpoint's indexMsgTimestamp), or 0 when none completed.
  Result<int64_t> FlushCompleted();
  // Syncs every file (shutdown).
  Status Flush();
  // Deletes every file.
  void Destroy();

  size_t file_count() const { return files_.size(); }
  const std::vector<std::shared_ptr<IndexFile>>& files() const { return files_; }
  // Test seam: epoch-ms clock used to name new files (default: the wall clock).
  void set_clock_for_test(std::function<int64_t()> clock) { clock_ = std::move(clock); }

 private:
  Status PutKey(std::string_view topic, std::string_view key, int64_t phys_offset, int64_t store_timestamp_ms);
  Result<IndexFile*> WritableFile();

  std::string dir_;
  int32_t max_hash_slots_;
  int32_t max_index_count_;
  std::vector<std::shared_ptr<IndexFile>> files_;     // oldest first
  std::vector<std::shared_ptr<IndexFile>> completed_;  // full, not yet synced
  std::string key_buf_;
  std::function<int64_t()> clock_;
};

// yyyyMMddHHmmssSSS of epoch ms in local time, and back (error for anything that is not 17 digits).
std::string IndexFileName(int64_t epoch_ms);
Result<int64_t> IndexFileNameToMs(const std::string& name);

}  // namespace mq::store
