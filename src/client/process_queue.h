// ProcessQueue: a consumer's state for one owned queue: the pulled-but-not-yet-consumed messages
// (ordered by queue offset), the pull offset, the orderly lock and the "dropped" flag set when
// rebalance takes the queue away. Pull callbacks (I/O thread) add messages; consume threads remove
// them. The short internal lock is held only to move messages in and out, never around a listener.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "mq/message.h"

namespace mq::client {

class ProcessQueue {
 public:
  explicit ProcessQueue(MessageQueue queue) : mq(std::move(queue)) {}

  const MessageQueue mq;
  std::atomic<bool> dropped{false};
  std::atomic<int64_t> pull_offset{-1};   // next offset to pull
  std::atomic<uint64_t> epoch{0};         // bumped by Seek: stale pull answers are ignored
  std::atomic<bool> locked{false};        // orderly: broker lock held
  std::atomic<int64_t> lock_time_ms{0};
  std::atomic<bool> orderly_scheduled{false};
  std::mutex consume_mu;                  // orderly: one consuming thread per queue
  std::atomic<int32_t> consuming{0};      // concurrent: tasks past their `dropped` check
  std::atomic<int64_t> last_pull_ms{0};
  std::atomic<int64_t> last_consume_ms{0};

  void Put(std::vector<MessageExt> msgs);
  size_t Count() const;
  // Drops every cached message (Seek, offset moved).
  void Clear();
  // Concurrent: removes consumed messages; returns the offset to commit: the smallest offset still
  // cached, or the highest removed + 1 when the cache is empty; -1 when nothing was removed.
  int64_t Remove(const std::vector<MessageExt>& msgs);
  // Pull consumer: takes up to n messages from the head.
  std::vector<MessageExt> TakeHead(size_t n);
  // Orderly: moves up to n head messages to the consuming set.
  std::vector<MessageExt> TakeOrderly(size_t n);
  // Orderly success: forgets the consuming set; returns next offset to commit (-1 if none).
  int64_t CommitOrderly();
  // Orderly failure: puts the consuming set back at the head; entries of `updated` (same queue
  // offsets) replace theirs first, so a bumped reconsume count survives.
  void RollbackOrderly(const std::vector<MessageExt>& updated = {});
  // After `dropped` is set: waits up to timeout_ms until no listener runs on this queue any more
  // (orderly: the consume lock is free; concurrent: no task is counted in `consuming`).
  bool WaitIdle(uint64_t timeout_ms);
  struct CacheStats {
    int64_t min_offset = 0;
    int64_t max_offset = 0;
    size_t count = 0;
  };
  CacheStats Stats() const;
  // Whether a lock taken at lock_time_ms is still trusted (30 s, spec 7.10).
  bool LockValid(int64_t now_ms) const { return locked.load() && now_ms - lock_time_ms.load() < 30000; }

 private:
  mutable std::mutex mu_;
  std::map<int64_t, MessageExt> msgs_;
  std::map<int64_t, MessageExt> consuming_;
  int64_t max_seen_ = -1;
};

}  // namespace mq::client
