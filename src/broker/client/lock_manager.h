// Orderly-consumption queue locks (spec 7.10). Owned by shard 0. A lock is (group, queue) ->
// (client id, last update); the owner re-locking refreshes it, anyone may take it over once it is
// older than the expiry (60 s, rocketmq.broker.rebalance.lockMaxLiveTime). Times are the caller's
// monotonic clock in ms.
#pragma once
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace mq::broker {

inline constexpr int64_t kLockExpiryMs = 60000;
inline constexpr size_t kMaxLockBatchQueues = 16384;

struct MessageQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  auto operator<=>(const MessageQueue&) const = default;
  bool operator==(const MessageQueue&) const = default;
};

// LockBatchRequestBody and UnlockBatchRequestBody share these members.
struct LockBatchRequest {
  std::string consumer_group;
  std::string client_id;
  std::vector<MessageQueue> mqs;  // duplicates removed, body order kept
};

// Bounded (kMaxLockBatchQueues); missing consumerGroup/clientId or a malformed queue -> SYSTEM_ERROR.
Result<LockBatchRequest> ParseLockBatchRequest(std::string_view body);
std::string EncodeLockBatchRequest(const LockBatchRequest& request);
// {"lockOKMQSet":[{"brokerName":..,"queueId":..,"topic":..},...]}
std::string EncodeLockBatchResponse(const std::vector<MessageQueue>& locked);
Result<std::vector<MessageQueue>> ParseLockBatchResponse(std::string_view body);
void AppendMessageQueueJson(std::string& out, const MessageQueue& mq);

class LockManager {
 public:
  explicit LockManager(int64_t expiry_ms = kLockExpiryMs) : expiry_ms_(expiry_ms) {}

  // Locks what it can for client_id; returns the granted queues in request order.
  std::vector<MessageQueue> TryLockBatch(const std::string& group, const std::vector<MessageQueue>& mqs,
                                         const std::string& client_id, int64_t now_ms);
  // Releases the queues that client_id holds; others' locks are left alone.
  void UnlockBatch(const std::string& group, const std::vector<MessageQueue>& mqs, const std::string& client_id);
  // Whether client_id holds a live lock on the queue.
  bool IsLocked(const std::string& group, const MessageQueue& mq, const std::string& client_id,
                int64_t now_ms) const;
  // Drops locks expired for a while (memory only: an expired lock is free either way).
  size_t PurgeExpired(int64_t now_ms);
  size_t size() const;

 private:
  struct Entry {
    std::string client_id;
    int64_t last_update_ms = 0;
  };
  bool Expired(const Entry& e, int64_t now_ms) const { return now_ms - e.last_update_ms > expiry_ms_; }

  int64_t expiry_ms_;
  std::unordered_map<std::string, std::map<MessageQueue, Entry>> groups_;
};

}  // namespace mq::broker
