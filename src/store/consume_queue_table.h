// The consume queues of one shard: topic -> queueId -> ConsumeQueue, created lazily on first use and
// found on disk by Load() (every <root>/consumequeue/<topic>/<queueId>/ directory).
//
// Ownership: one shard owns the table and all its queues; no locks inside. Pointers returned stay
// valid until the queue is destroyed (DestroyTopic) or the table goes away.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/consume_queue.h"

namespace mq::store {

class ConsumeQueueTable {
 public:
  ConsumeQueueTable(std::string root_dir, int64_t units_per_file = kDefaultCqUnitsPerFile);

  // Opens every queue directory under <root>/consumequeue (names that are not a queue id are skipped),
  // or only those `owns` accepts (each shard's table loads its own queues).
  using Owns = std::function<bool(std::string_view topic, int32_t queue_id)>;
  Status Load(const Owns& owns = nullptr);
  // Recovers every queue (spec 6.6 step 1); returns the largest physical end over all queues.
  int64_t Recover();

  // nullptr when the queue does not exist.
  ConsumeQueue* Find(std::string_view topic, int32_t queue_id);
  // Creates an empty queue object (no file until its first Append).
  ConsumeQueue& FindOrCreate(std::string_view topic, int32_t queue_id);

  void TruncateDirty(int64_t phys_offset_limit);
  void CorrectMinOffset(int64_t commit_log_min_offset);
  size_t DeleteExpiredFiles(int64_t commit_log_min_offset);
  // Flushes every queue; returns the first failure (the others are still attempted).
  Status Flush(int min_dirty_pages = 0);
  // Deletes the topic's queues and their files (DELETE_TOPIC, unused-topic cleanup).
  void DestroyTopic(std::string_view topic);
  // Every queue, ordered by topic then queue id.
  void ForEach(const std::function<void(ConsumeQueue&)>& fn);
  size_t queue_count() const;

 private:
  std::string root_dir_;
  int64_t units_per_file_;
  std::map<std::string, std::map<int32_t, std::unique_ptr<ConsumeQueue>>, std::less<>> topics_;
};

}  // namespace mq::store
