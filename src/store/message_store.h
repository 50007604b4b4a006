// MessageStore: the small facade the broker uses (spec 6). Composition of the commit log (shared by
// all shards, lock-free appends), the flush service (its own threads), one ConsumeQueueTable per
// shard, the key index and the dispatcher (shard 0).
//
// Ownership and threads:
//  - Open() runs recovery on the calling thread before any shard serves; Start() hooks the store into
//    the running shards; Shutdown() runs on the main thread after the shards have stopped.
//  - Each (topic, queueId) belongs to shard ShardOf(topic, queueId). Put*, Get, the offset queries
//    and the arrival listener of a queue run on that shard only.
//  - QueryByKey runs on shard 0 (the index's owner). ReadRecordAt may be called from any shard.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/message_record.h"
#include "runtime/shard_set.h"
#include "store/commit_log.h"
#include "store/store_config.h"
#include "runtime/shard_local.h"

namespace mq::store {

// Spec 4.2: what a put became; the broker maps it to a response code.
enum class PutStatus {
  kOk,
  kFlushDiskTimeout,       // stored, not known durable within syncFlushTimeout
  kServiceNotAvailable,    // shut down, disk full, or a file could not be created
  kMessageIllegal,         // too big, bad topic or properties
  kUnknownError,
};
const char* PutStatusName(PutStatus status);

struct PutResult {
  PutStatus status = PutStatus::kUnknownError;
  std::string remark;
  int64_t phys_offset = 0;        // first record
  int32_t wrote_bytes = 0;
  int64_t queue_offset = 0;       // first record's queue offset
  int32_t message_count = 0;
  int64_t store_timestamp_ms = 0;
  std::vector<int64_t> record_offsets;  // physical offset of each record (batch msgIds)
};
using PutCallback = std::function<void(PutResult)>;

// Spec 4.3.
enum class GetStatus {
  kFound,
  kNoMatchedMessage,
  kMessageWasRemoving,
  kOffsetFoundNull,
  kOffsetOverflowBadly,
  kOffsetOverflowOne,
  kOffsetTooSmall,
  kNoMessageInQueue,
};
const char* GetStatusName(GetStatus status);

struct GetResult {
  GetStatus status = GetStatus::kNoMessageInQueue;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  std::vector<Slice> messages;     // zero-copy, each holds its segment
  size_t total_bytes = 0;
};

// Broker-side tag filter over a unit's tags code (nullptr = everything matches).
using TagsCodeFilter = std::function<bool(int64_t tags_code)>;
// Called on a queue's shard after its consume queue grew (long polling hooks in here).
using ArrivalListener = std::function<void(const std::string& topic, int32_t queue_id, int64_t max_offset)>;

class Dispatcher;
struct ShardStoreState;

class MessageStore {
 public:
  static Result<std::unique_ptr<MessageStore>> Open(const MessageStoreConfig& config, uint32_t shard_count);
  ~MessageStore();

  Status Start(runtime::ShardSet& shards);
  void Shutdown();

  uint32_t shard_count() const { return shard_count_; }
  uint32_t ShardOf(std::string_view topic, int32_t queue_id) const;
  const MessageStoreConfig& config() const { return config_; }
  void SetArrivalListener(ArrivalListener listener) { arrival_ = std::move(listener); }

  // --- on the queue's shard ---
  // `records` go to one (topic, queue) in one reservation with consecutive queue offsets; queue
  // offsets, physical offsets and store time are assigned here. wait_store_ok: under SYNC_FLUSH the
  // callback waits for durability (group commit); it always runs on this shard.
  void Put(std::vector<model::MessageRecord> records, bool wait_store_ok, PutCallback done);
  GetResult Get(std::string_view topic, int32_t queue_id, int64_t offset, uint32_t max_count,
                const TagsCodeFilter& filter);
  int64_t MaxOffset(std::string_view topic, int32_t queue_id);
  int64_t MinOffset(std::string_view topic, int32_t queue_id);
  // First queue offset whose store time >= timestamp_ms (max offset when none).
  int64_t OffsetByTimestamp(std::string_view topic, int32_t queue_id, int64_t timestamp_ms);
  // Store time of the record at queue offset, or an error when there is none.
  Result<int64_t> StoreTimeAt(std::string_view topic, int32_t queue_id, int64_t offset);
  // Next queue offset to assign (topicQueueTable); >= MaxOffset.
  int64_t NextQueueOffset(std::string_view topic, int32_t queue_id);
  void DeleteTopicQueues(std::string_view topic);  // this shard's queues of the topic

  // --- shard 0 ---
  // Records stored under `key` (KEYS word or UNIQ_KEY) of `topic` in [begin_ms, end_ms], newest first.
  std::vector<Slice> QueryByKey(std::string_view topic, std::string_view key, size_t max_num, int64_t begin_ms,
                                int64_t end_ms);

  // --- any thread ---
  // The whole record at a commit-log offset (VIEW_MESSAGE_BY_ID).
  Result<Slice> ReadRecordAt(int64_t phys_offset) const;
  CommitLog& commit_log() { return *commit_log_; }
  int64_t dispatched_offset() const;

 private:
  MessageStore() = default;
  Status Recover();
  ShardStoreState& Local();
  void ApplyUnits(std::vector<struct DispatchUnit>& units);  // on the units' shard
  // Appends one unit unless it is already there or out of order; true when appended.
  static bool AppendUnit(class ConsumeQueueTable& queues, const struct DispatchUnit& unit);
  void RunCleaner();                                          // shard 0
  // Consume-queue file work off the shard (StoreIoWorker), all on the queue's shard:
  // asks the worker for the queue's file at start_bytes; false when it cannot take the job.
  bool RequestCqFile(ShardStoreState& st, class ConsumeQueue& cq, int64_t start_bytes);
  // Requests the file a unit at queue_offset will need (ahead=true: also the next one when due).
  void PrepareCqFileFor(ShardStoreState& st, class ConsumeQueue& cq, int64_t queue_offset, bool ahead);
  void OnCqFileCreated(const std::string& path, Result<std::shared_ptr<MappedFile>> file);
  // Appends the parked units of a queue until one needs a file that is not there yet.
  void DrainParked(ShardStoreState& st, const std::string& topic, int32_t queue_id, bool inline_create);
  void DiscardCqFile(std::shared_ptr<MappedFile> file);
  void FlushConsumeQueues(ShardStoreState& st, bool thorough);  // the periodic CQ flush, via the worker
  void EnsureIoPoll(ShardStoreState& st);

  MessageStoreConfig config_;
  uint32_t shard_count_ = 1;
  runtime::ShardSet* shards_ = nullptr;
  std::unique_ptr<class StoreLock> lock_;
  std::unique_ptr<class Checkpoint> checkpoint_;
  std::unique_ptr<CommitLog> commit_log_;
  std::unique_ptr<class FlushService> flush_;
  std::unique_ptr<class StoreIoWorker> io_;
  std::unique_ptr<class IndexService> index_;
  std::unique_ptr<class DiskSpaceGuard> disk_;
  std::vector<std::unique_ptr<ShardStoreState>> shard_state_;
  std::unique_ptr<Dispatcher> dispatcher_;
  ArrivalListener arrival_;
  bool abnormal_start_ = false;
  bool started_ = false;
};

}  // namespace mq::store
