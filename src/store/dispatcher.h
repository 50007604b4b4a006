// Dispatcher ("reput", spec 6.7): follows the commit log's committed watermark on shard 0, indexes
// each record's keys (the IndexService lives on shard 0) and hands each record's consume-queue unit
// to the shard that owns its queue as one task per shard per round (the SPSC ring from shard 0 keeps
// them in commit-log order). Appenders Kick() it; there is no polling loop, only a slow backstop
// timer for the case where a ring was full.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/message_record.h"
#include "runtime/shard_set.h"

namespace mq::store {

class CommitLog;
class IndexService;

struct DispatchUnit {
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t phys_offset = 0;
  int32_t size_bytes = 0;
  int64_t tags_code = 0;
  int64_t store_timestamp_ms = 0;
};

// The unit a record contributes to its consume queue; nullopt for PREPARED / ROLLBACK records.
// SCHEDULE_TOPIC_XXXX units carry the delivery time as tags code (spec 5.5).
std::optional<DispatchUnit> UnitOf(const model::RecordView& record, int64_t phys_offset,
                                   const std::vector<int64_t>& delay_level_ms);
// Adds the record's UNIQ_KEY and KEYS to the index (not for ROLLBACK records).
void IndexRecord(IndexService& index, const model::RecordView& record, int64_t phys_offset);

class Dispatcher {
 public:
  using ApplyUnits = std::function<void(std::vector<DispatchUnit>&)>;  // runs on the owning shard
  using ShardOfFn = std::function<uint32_t(std::string_view topic, int32_t queue_id)>;

  Dispatcher(CommitLog& log, IndexService* index, std::vector<int64_t> delay_level_ms, ShardOfFn shard_of,
             ApplyUnits apply, int64_t from_offset);

  // On shard 0, once the shards run: arms the backstop timer.
  void Start(runtime::ShardSet& shards);
  // Any shard: new bytes were committed. Coalesced: at most one round queued at a time.
  void Kick();
  int64_t dispatched_offset() const { return dispatched_.load(std::memory_order_acquire); }

 private:
  void Round();  // shard 0
  bool FlushPending();

  static constexpr size_t kMaxRecordsPerRound = 4096;
  static constexpr uint64_t kBackstopMs = 100;

  CommitLog& log_;
  IndexService* index_;  // nullptr when messageIndexEnable=false
  std::vector<int64_t> delay_level_ms_;
  ShardOfFn shard_of_;
  ApplyUnits apply_;
  runtime::ShardSet* shards_ = nullptr;
  std::atomic<int64_t> dispatched_;
  std::atomic<bool> scheduled_{false};
  std::vector<std::vector<DispatchUnit>> pending_;  // per target shard, shard 0 only
};

}  // namespace mq::store
