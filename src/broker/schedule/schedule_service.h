// Delayed delivery (spec 7.8): messages parked in SCHEDULE_TOPIC_XXXX queue L-1 (delay level L)
// are re-stored to their REAL_TOPIC / REAL_QID once due. Each level runs on the shard that owns its
// queue (store.ShardOf(SCHEDULE_TOPIC_XXXX, L-1)) as a chain of timers, never a sleeping thread:
// read the unit at the level's offset; the unit's tags code is its delivery time; when due, put the
// copy on the real queue's shard, and only after that put completed advance the offset and go on
// (so delivery order per level is the parking order); when not due, wait the remaining time; when
// there is nothing, look again after 100 ms. Offsets are persisted to
// <storePathRootDir>/config/delayOffset.json every flushDelayOffsetInterval (serialized on shard 0,
// written by the JsonFileWriter when one is set) and synchronously at Stop.
//
// Lifecycle (composition root): construct + Load() on the main thread before the shards serve;
// Start() once the shards and the store run (masters only); Stop() on the main thread before the
// shards stop. Timer callbacks hold the shared state, so a late tick after Stop does nothing.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "broker/broker_config.h"
#include "runtime/shard_set.h"
#include "store/message_store.h"

namespace mq::broker {

class JsonFileWriter;

constexpr int64_t kScheduleIdleRetryMs = 100;
constexpr int64_t kScheduleFirstRunMs = 1000;

std::string DelayOffsetJsonPath(const std::string& store_root);  // config/delayOffset.json
// {"offsetTable":{1:5,...}} (Java's unquoted keys accepted) -> level -> offset.
Result<std::map<int32_t, int64_t>> ParseDelayOffsets(std::string_view json);
std::string EncodeDelayOffsets(const std::map<int32_t, int64_t>& offsets);  // quoted keys

// The record to re-store for a parked one: topic/queue from REAL_TOPIC/REAL_QID, DELAY, REAL_TOPIC
// and REAL_QID removed, everything else copied. MESSAGE_ILLEGAL when REAL_TOPIC/REAL_QID are missing.
Result<model::MessageRecord> UnparkRecord(const model::RecordView& parked);

class ScheduleService {
 public:
  ScheduleService(const BrokerConfig& config, runtime::ShardSet& shards, store::MessageStore& store);
  ~ScheduleService();

  Status Load();
  void Start();
  void Stop();
  Status Persist() const;  // synchronous off a shard (see JsonFileWriter)
  // Not owned; set before Start (nullptr: every write is synchronous).
  void set_file_writer(JsonFileWriter* writer);
  // The next queue offset to deliver of `level` (1-based); any thread.
  int64_t OffsetOf(int32_t level) const;

  struct State;  // shared with the timer callbacks (implementation detail)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mq::broker
