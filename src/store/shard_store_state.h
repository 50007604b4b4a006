// Per-shard part of the MessageStore: the consume queues this shard owns, the next queue offset of
// each (topicQueueTable), its SYNC_FLUSH waiters, a reusable encode buffer, and the consume-queue
// file work handed to the StoreIoWorker (files being created, units parked until their file is
// there, directories not yet synced, the flush in flight). Touched only on the owning shard (and by
// Open/Shutdown before/after the shards run).
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "runtime/shard_set.h"
#include "store/consume_queue_table.h"
#include "store/dispatcher.h"
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

  // Consume-queue files being created by the worker, by path. `stale`: the queue was destroyed
  // meanwhile, so the file is deleted when it arrives.
  struct CqFileJob {
    std::string topic;
    int32_t queue_id = 0;
    bool stale = false;
  };
  std::unordered_map<std::string, CqFileJob> cq_file_jobs;
  // Units of queues waiting for a file, in dispatch order (a queue with parked units parks every
  // further unit, so its order is kept). Bounded by dispatch rate x creation time.
  std::map<std::pair<std::string, int32_t>, std::deque<DispatchUnit>> parked;
  // Directories that gained an entry (a new queue file or directory) since the last sync: the
  // checkpoint's logics time advances only once they are durable.
  std::set<std::string> unsynced_dirs;
  bool cq_flush_in_flight = false;
  int64_t last_cq_thorough_flush_ms = 0;
  runtime::TimerId io_poll_timer = 0;
};

inline std::string QueueKey(std::string_view topic, int32_t queue_id) {
  std::string key(topic);
  key += '-';
  key += std::to_string(queue_id);
  return key;
}

}  // namespace mq::store
