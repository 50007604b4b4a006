// Per-shard part of the MessageStore: the consume queues this shard owns, the next queue offset of
// each (topicQueueTable), its SYNC_FLUSH waiters and a reusable encode buffer. Touched only on the
// owning shard (and by Open/Shutdown before/after the shards run).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "runtime/shard_set.h"
#include "store/consume_queue_table.h"
#include "store/flush_service.h"

namespace mq::store {

struct ShardStoreState {
  ShardStoreState(const std::string& root_dir, int64_t units_per_file) : queues(root_dir, units_per_file) {}

  ConsumeQueueTable queues;
  std::unordered_map<std::string, int64_t> next_queue_offset;  // key: QueueKey(topic, queue id)
  std::unique_ptr<SyncFlushWaiters> waiters;
  runtime::TimerId waiter_timer = 0;
  std::string encode_buffer;
  // Store time of the newest unit applied here and flushed (checkpoint logics time, read by shard 0).
  std::atomic<int64_t> flushed_unit_timestamp_ms{0};
  int64_t applied_unit_timestamp_ms = 0;
  bool has_units = false;
};

inline std::string QueueKey(std::string_view topic, int32_t queue_id) {
  std::string key(topic);
  key += '-';
  key += std::to_string(queue_id);
  return key;
}

}  // namespace mq::store
