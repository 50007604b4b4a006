// Consumers. PushConsumer: subscribe, register a listener, Start(); the library rebalances queues
// among the group (averaging), long-polls the brokers and calls the listener on its consume pool.
// PullConsumer: like Java's lite pull consumer; subscribe (group rebalancing) or assign queues, then
// Poll() batches. Both are thread-safe for their public methods; listeners never run on the I/O
// thread. A push consumer follows broker-initiated offset resets (mqadmin resetOffsetByTime) and
// answers GET_CONSUMER_RUNNING_INFO (mqadmin consumerStatus); both consumers answer the latter.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mq/message.h"
#include "mq/result.h"

namespace mq {

enum class MessageModel { kBroadcasting = 0, kClustering = 1 };
enum class ConsumeFromWhere { kLastOffset = 0, kFirstOffset = 4, kTimestamp = 5 };

struct ConsumerOptions {
  std::string group = "DEFAULT_CONSUMER";
  std::string namesrv_addr = "127.0.0.1:9876";
  // Part of the client id (ip@instance_name). Empty: "<pid>#<nanotime>" for clustering, "DEFAULT"
  // for broadcasting, as in Java (the broadcasting offsets file lives under the client id).
  std::string instance_name;
  MessageModel model = MessageModel::kClustering;
  ConsumeFromWhere from_where = ConsumeFromWhere::kLastOffset;
  int64_t consume_timestamp_ms = 0;         // kTimestamp; 0 = now - 30 min
  uint32_t consume_threads = 4;             // push: the consume pool (consumeThreadMin/Max)
  uint32_t consume_batch_max_size = 1;      // push: messages per listener call
  uint32_t pull_batch_size = 32;            // maxMsgNums per PULL_MESSAGE
  uint32_t pull_threshold_for_queue = 1000; // push flow control: cached messages per queue
  uint64_t suspend_ms = 15000;              // broker long-poll hold
  uint64_t rebalance_interval_ms = 20000;
  uint64_t persist_offset_interval_ms = 5000;
  // Failed deliveries before a message goes to %DLQ%<group>. -1 (Java's default): 16 for a
  // concurrent listener (the broker counts the retries), unlimited for an orderly one (it retries in
  // place, suspending its queue). An orderly message that reaches the limit is sent to the DLQ and
  // its queue goes on; if that send fails, it keeps retrying.
  int32_t max_reconsume_times = -1;
  // Broadcasting: offsets in Java's file, <dir>/<clientId>/<group>/offsets.json; empty dir =
  // ~/.rocketmq_offsets (a Java consumer with the same client id shares it).
  std::string offset_store_dir;
};

enum class ConsumeResult { kSuccess, kReconsumeLater };
enum class OrderlyResult { kSuccess, kSuspendCurrentQueueAMoment };

using ConcurrentListener = std::function<ConsumeResult(const std::vector<MessageExt>& msgs)>;
using OrderlyListener = std::function<OrderlyResult(const std::vector<MessageExt>& msgs)>;

class PushConsumer {
 public:
  explicit PushConsumer(ConsumerOptions options);
  ~PushConsumer();
  PushConsumer(const PushConsumer&) = delete;
  PushConsumer& operator=(const PushConsumer&) = delete;

  // "*", "TagA", or "TagA || TagB". Call before Start().
  Outcome Subscribe(const std::string& topic, const std::string& tag_expression = "*");
  void RegisterListener(ConcurrentListener listener);
  // Orderly: one queue is consumed by one thread at a time, in queue order, while this client holds
  // the broker lock of the queue (clustering).
  void RegisterListener(OrderlyListener listener);

  Outcome Start();
  // Stops pulling, waits (bounded, 10 s) for running listeners, commits offsets, unlocks,
  // unregisters. Every wait is bounded; may be called from a listener.
  void Shutdown();

  // Queues this consumer currently owns (after rebalance).
  std::vector<MessageQueue> AssignedQueues() const;
  const std::string& client_id() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

class PullConsumer {
 public:
  explicit PullConsumer(ConsumerOptions options);
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Either subscribe (queues shared by the group) or assign (exactly these queues); not both.
  Outcome Subscribe(const std::string& topic, const std::string& tag_expression = "*");
  Outcome Assign(const std::vector<MessageQueue>& queues);
  void SetAutoCommit(bool enabled);  // default true: offsets of polled messages committed every 5 s

  Outcome Start();
  void Shutdown();

  // Waits up to timeout_ms for messages; returns those available (possibly none).
  std::vector<MessageExt> Poll(uint64_t timeout_ms);
  // Next Poll of `queue` starts at `offset`; buffered messages of that queue are dropped.
  Outcome Seek(const MessageQueue& queue, int64_t offset);
  Outcome SeekToBegin(const MessageQueue& queue);
  Outcome SeekToEnd(const MessageQueue& queue);
  // Commits the offsets consumed so far (all queues), synchronously.
  Outcome CommitSync();
  // Committed offset on the broker, -1 when none.
  Expected<int64_t> Committed(const MessageQueue& queue);
  Expected<std::vector<MessageQueue>> FetchMessageQueues(const std::string& topic);
  std::vector<MessageQueue> Assignment() const;
  const std::string& client_id() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mq
