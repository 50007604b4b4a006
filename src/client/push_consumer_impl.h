// PushConsumer::Impl. Threads:
//  - service thread (ClientInstance): rebalance, offset reset, running info, offset persistence,
//    lock renewal (may block);
//  - I/O thread: pull requests and their answers (never blocks; hands messages to the pool);
//  - consume pool: listener calls, send-back of failed messages (may block).
// The queue table is guarded by table_mu_; each ProcessQueue guards its own messages.
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/client_instance.h"
#include "client/offset_store.h"
#include "client/process_queue.h"
#include "client/protocol.h"
#include "client/thread_pool.h"
#include "mq/consumer.h"

namespace mq {

class PushConsumer::Impl : public client::ConsumerInner, public std::enable_shared_from_this<PushConsumer::Impl> {
 public:
  explicit Impl(ConsumerOptions options) : opt_(std::move(options)) {}

  Outcome Subscribe(const std::string& topic, const std::string& expression);
  void SetListener(ConcurrentListener l) { concurrent_ = std::move(l); }
  void SetListener(OrderlyListener l) { orderly_ = std::move(l); }
  Outcome Start();
  void Shutdown();
  std::vector<MessageQueue> Assigned() const;
  const std::string& client_id() const;

  // push_consume.cc
  void Dispatch(const std::shared_ptr<client::ProcessQueue>& pq, const std::vector<MessageExt>& msgs);

  // client::ConsumerInner (service thread)
  void FillHeartbeat(client::HeartbeatData& hb) override;
  void Rebalance() override;
  void Tick(int64_t now_ms) override;
  // Java's MQClientInstance.resetOffset: no rebalance meanwhile, the queues' cached messages are
  // dropped and their listeners waited for (bounded), the offsets set and persisted, then the
  // queues pull again from there.
  void ResetOffset(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) override;
  std::string RunningInfo() override;

 private:
  bool clustering() const { return opt_.model == MessageModel::kClustering; }
  bool is_orderly() const { return static_cast<bool>(orderly_); }
  // -1: 16 for concurrent consumers, unlimited for orderly ones (Java's defaults).
  int32_t MaxReconsumeTimes() const;
  void UpdateQueues(const std::string& topic, const std::vector<MessageQueue>& assigned);
  void RemoveQueue(const std::shared_ptr<client::ProcessQueue>& pq);
  void RenewLocks();
  // I/O thread
  void Pull(const std::shared_ptr<client::ProcessQueue>& pq);
  void OnPull(const std::shared_ptr<client::ProcessQueue>& pq, Result<remoting::Command> resp);
  // push_consume.cc
  void ConsumeConcurrently(std::shared_ptr<client::ProcessQueue> pq, std::vector<MessageExt> msgs);
  void ConsumeOrderly(std::shared_ptr<client::ProcessQueue> pq);
  // After a failed orderly batch: true when every message reached the retry limit and went to the
  // DLQ (the batch counts as consumed); else bumps the reconsume counts and the queue suspends.
  bool GiveUpOrderly(std::vector<MessageExt>& msgs);
  void ScheduleOrderly(const std::shared_ptr<client::ProcessQueue>& pq, uint64_t delay_ms);
  // CONSUMER_SEND_MSG_BACK: the broker schedules a retry, or with to_dlq (delayLevel -1) moves
  // the message to %DLQ%<group> at once.
  bool SendBack(const MessageExt& msg, bool to_dlq);
  void SubmitOrRetry(std::function<void()> task);

  ConsumerOptions opt_;
  std::map<std::string, client::SubscriptionData> subs_;  // topic -> subscription (incl. retry)
  ConcurrentListener concurrent_;
  OrderlyListener orderly_;
  std::shared_ptr<client::ClientInstance> inst_;
  std::unique_ptr<client::OffsetStore> offsets_;
  std::unique_ptr<client::ThreadPool> pool_;
  std::atomic<bool> running_{false};
  std::mutex rebalance_mu_;
  mutable std::mutex table_mu_;
  std::map<MessageQueue, std::shared_ptr<client::ProcessQueue>> table_;
  int64_t next_persist_ms_ = 0;
  int64_t next_lock_ms_ = 0;
  int64_t start_ms_ = 0;
};

}  // namespace mq
