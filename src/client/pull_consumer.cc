// PullConsumer (lite pull): background long-polling pulls per owned queue fill per-queue caches
// (bounded by pull_threshold_for_queue); Poll() drains them. Offsets of polled messages are
// committed every persist interval when auto-commit is on, or by CommitSync().
#include <condition_variable>
#include <set>

#include "base/log.h"
#include "client/client_instance.h"
#include "client/message_codec.h"
#include "client/offset_store.h"
#include "client/process_queue.h"
#include "client/queue_table.h"
#include "client/rebalance.h"
#include "mq/consumer.h"

namespace mq {
namespace {
using client::ProcessQueue;
constexpr uint64_t kRetryDelayMs = 1000;
}  // namespace

class PullConsumer::Impl : public client::ConsumerInner, public std::enable_shared_from_this<PullConsumer::Impl> {
 public:
  explicit Impl(ConsumerOptions o) : opt_(std::move(o)) {}

  Outcome Subscribe(const std::string& topic, const std::string& expr) {
    if (running_ || !assigned_.empty()) return Outcome::Fail("subscribe before Start() and instead of Assign()");
    Status st = client::ValidateTopic(topic);
    if (!st.ok()) return client::ToOutcome(st);
    client::SubscriptionData s;
    s.topic = topic;
    s.tags = client::ParseTagExpression(expr);
    s.sub_string = s.tags.empty() ? "*" : expr;
    s.sub_version = client::NowMs();
    subs_[topic] = s;
    return Outcome::Ok();
  }

  Outcome Assign(const std::vector<MessageQueue>& queues) {
    if (!subs_.empty()) return Outcome::Fail("Assign() cannot be combined with Subscribe()");
    assigned_ = queues;
    if (running_) UpdateQueues(std::set<MessageQueue>(queues.begin(), queues.end()));
    return Outcome::Ok();
  }

  Outcome Start() {
    if (running_) return Outcome::Fail("already started");
    auto inst = client::ClientInstance::StartForConsumer(opt_, weak_from_this());
    if (!inst.ok()) return client::ToOutcome(inst.status());
    inst_ = inst.value();
    std::set<std::string> topics;
    for (const auto& [t, s] : subs_) topics.insert(t);
    for (const auto& q : assigned_) topics.insert(q.topic);
    for (const auto& t : topics) {
      auto r = inst_->Route(t);
      if (!r.ok()) {
        inst_->Shutdown();
        inst_.reset();
        return client::ToOutcome(r.status());
      }
    }
    offsets_ = opt_.model == MessageModel::kClustering
                   ? client::MakeRemoteOffsetStore(inst_, opt_.group)
                   : client::MakeLocalOffsetStore(opt_.offset_store_dir, inst_->client_id(), opt_.group);
    start_ms_ = client::NowMs();
    running_ = true;
    inst_->SendHeartbeatToAll();
    (void)inst_->TakeRouteChanged();
    if (!subs_.empty()) {
      Rebalance();
    } else {
      UpdateQueues(std::set<MessageQueue>(assigned_.begin(), assigned_.end()));
    }
    next_commit_ms_ = client::NowMs() + static_cast<int64_t>(opt_.persist_offset_interval_ms);
    return Outcome::Ok();
  }

  void Shutdown() {
    {
      // Under mu_: a Poll between its running_ check and its wait must not miss this wake-up.
      std::lock_guard<std::mutex> lock(mu_);
      if (!running_.exchange(false)) return;
    }
    cv_.notify_all();
    if (auto_commit_) (void)CommitSync();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [mq, pq] : table_) pq->dropped = true;
      table_.clear();
    }
    inst_->Shutdown();
  }

  std::vector<MessageExt> Poll(uint64_t timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      std::vector<MessageExt> out;
      if (!table_.empty()) {
        // Round-robin start so one busy queue cannot starve the others.
        auto it = table_.upper_bound(last_polled_);
        for (size_t i = 0; i < table_.size() && out.empty(); ++i, ++it) {
          if (it == table_.end()) it = table_.begin();
          auto& pq = it->second;
          out = pq->TakeHead(opt_.pull_batch_size);
          if (!out.empty()) {
            last_polled_ = it->first;
            offsets_->Update(pq->mq, out.back().queue_offset + 1, false);
          }
        }
      }
      if (!out.empty() || !running_) return out;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return {};
    }
  }

  Outcome Seek(const MessageQueue& mq, int64_t offset) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = table_.find(mq);
    if (it == table_.end()) return Outcome::Fail("queue " + mq.ToString() + " is not assigned to this consumer");
    auto& pq = it->second;
    // A pull already in flight is for the old position: its answer is dropped and its loop ends;
    // a new loop starts here at once instead of waiting out that long poll.
    const uint64_t epoch = ++pq->epoch;
    pq->Clear();
    pq->pull_offset = offset;
    offsets_->Update(mq, offset, false);
    auto self = shared_from_this();
    inst_->RunOnIo(0, [self, pq, epoch] { self->Pull(pq, epoch); });
    return Outcome::Ok();
  }

  Outcome SeekEdge(const MessageQueue& mq, bool end) {
    if (!running_) return Outcome::Fail("not started");
    auto off = client::QueryQueueOffset(*inst_, mq, end);
    if (!off.ok()) return client::ToOutcome(off.status());
    return Seek(mq, off.value());
  }

  Outcome CommitSync() {
    if (!inst_) return Outcome::Fail("not started");
    return client::ToOutcome(offsets_->PersistAllSync());
  }

  Expected<int64_t> Committed(const MessageQueue& mq) {
    if (!inst_) return Outcome::Fail("not started");
    auto r = offsets_->ReadStored(mq);
    if (!r.ok()) return client::ToOutcome(r.status());
    return r.value();
  }

  Expected<std::vector<MessageQueue>> Fetch(const std::string& topic) {
    if (!inst_) return Outcome::Fail("not started");
    auto r = inst_->Route(topic);
    if (!r.ok()) return client::ToOutcome(r.status());
    return client::SubscribeQueues(topic, *r.value());
  }

  std::vector<MessageQueue> Assignment() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<MessageQueue> out;
    for (const auto& [mq, pq] : table_) out.push_back(mq);
    return out;
  }
  const std::string& client_id() const {
    static const std::string none;
    return inst_ ? inst_->client_id() : none;
  }
  bool auto_commit_ = true;

  // Owned queues of `topic` seek to the broker's reset offsets, which are committed at once.
  void ResetOffset(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) override {
    if (!running_) return;
    for (const auto& [mq, offset] : offsets) {
      if (mq.topic != topic) continue;
      if (Seek(mq, offset).ok()) (void)offsets_->PersistSync(mq);
    }
  }

  std::string RunningInfo() override {
    client::RunningInfo info;
    auto& p = info.properties;
    p["PROP_NAMESERVER_ADDR"] = opt_.namesrv_addr;
    p["PROP_CONSUME_TYPE"] = "CONSUME_ACTIVELY";
    p["PROP_CONSUMEORDERLY"] = "false";
    p["PROP_THREADPOOL_CORE_SIZE"] = "1";
    p["PROP_CONSUMER_START_TIMESTAMP"] = std::to_string(start_ms_);
    p["PROP_CLIENT_VERSION"] = "V4_9_8";
    p["consumerGroup"] = opt_.group;
    p["messageModel"] = opt_.model == MessageModel::kClustering ? "CLUSTERING" : "BROADCASTING";
    p["pullBatchSize"] = std::to_string(opt_.pull_batch_size);
    p["autoCommit"] = auto_commit_ ? "true" : "false";
    for (const auto& [t, sub] : subs_) info.subscriptions.push_back(sub);
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [mq, pq] : table_) {
      client::QueueRunningInfo q;
      q.commit_offset = offsets_->Read(mq);
      const auto stats = pq->Stats();
      q.cached_count = static_cast<int64_t>(stats.count);
      q.cached_min_offset = stats.min_offset;
      q.cached_max_offset = stats.max_offset;
      q.dropped = pq->dropped;
      q.last_pull_ms = pq->last_pull_ms;
      info.queues[mq] = q;
    }
    return client::EncodeRunningInfo(info);
  }

  void FillHeartbeat(client::HeartbeatData& hb) override {
    client::ConsumerData c;
    c.group = opt_.group;
    c.push = false;
    c.clustering = opt_.model == MessageModel::kClustering;
    for (const auto& [t, s] : subs_) c.subscriptions.push_back(s);
    hb.consumers.push_back(std::move(c));
  }

  void Rebalance() override {
    if (!running_ || subs_.empty()) return;
    std::set<MessageQueue> want;
    for (const auto& [topic, s] : subs_) {
      auto r = client::AllocateQueues(*inst_, opt_.group, topic, opt_.model == MessageModel::kClustering);
      if (!r.ok()) return;  // keep the current assignment until the group can be read
      want.insert(r->begin(), r->end());
    }
    UpdateQueues(want);
  }

 private:
  void UpdateQueues(const std::set<MessageQueue>& want) {
    std::vector<std::shared_ptr<ProcessQueue>> removed;
    std::vector<MessageQueue> added;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = table_.begin(); it != table_.end();) {
        if (want.count(it->first) == 0) {
          removed.push_back(it->second);
          it = table_.erase(it);
        } else {
          ++it;
        }
      }
      for (const auto& q : want) {
        if (table_.count(q) == 0) added.push_back(q);
      }
    }
    for (auto& pq : removed) {
      pq->dropped = true;
      if (auto_commit_) (void)offsets_->PersistSync(pq->mq);
      offsets_->Remove(pq->mq);
    }
    for (const auto& mq : added) {
      auto start = client::ComputeStartOffset(*inst_, *offsets_, mq, opt_.from_where, opt_.consume_timestamp_ms);
      if (!start.ok()) continue;
      auto pq = std::make_shared<ProcessQueue>(mq);
      pq->pull_offset = start.value();
      {
        std::lock_guard<std::mutex> lock(mu_);
        table_[mq] = pq;
      }
      auto self = shared_from_this();
      inst_->RunOnIo(0, [self, pq] { self->Pull(pq, 0); });
    }
  }

  void Tick(int64_t now) override {
    if (!running_ || !auto_commit_ || now < next_commit_ms_) return;
    offsets_->PersistAll();
    next_commit_ms_ = now + static_cast<int64_t>(opt_.persist_offset_interval_ms);
  }

  // One pull loop per queue and epoch: a loop whose epoch is stale (Seek) ends here.
  void Pull(const std::shared_ptr<ProcessQueue>& pq, uint64_t epoch) {
    if (!running_ || pq->dropped || pq->epoch != epoch) return;
    auto self = shared_from_this();
    if (pq->Count() >= opt_.pull_threshold_for_queue) {
      inst_->RunOnIo(50, [self, pq, epoch] { self->Pull(pq, epoch); });
      return;
    }
    client::PullHeader h;
    h.consumer_group = opt_.group;
    h.topic = pq->mq.topic;
    h.queue_id = pq->mq.queue_id;
    h.queue_offset = pq->pull_offset;
    h.max_msg_nums = static_cast<int32_t>(opt_.pull_batch_size);
    h.sys_flag = client::kPullSuspend | client::kPullSubscription | client::kPullLitePull;
    auto sub = subs_.find(pq->mq.topic);
    h.subscription = sub != subs_.end() ? sub->second.sub_string : "*";
    h.suspend_timeout_ms = static_cast<int64_t>(opt_.suspend_ms);
    h.broker_name = pq->mq.broker_name;
    const std::string addr = inst_->BrokerAddr(pq->mq.broker_name, false);
    if (addr.empty()) {
      inst_->RunOnIo(kRetryDelayMs, [self, pq, epoch] { self->Pull(pq, epoch); });
      return;
    }
    inst_->InvokeAsync(addr, client::BuildPullRequest(h), opt_.suspend_ms + 15000,
                       [self, pq, epoch](Result<remoting::Command> resp) { self->OnPull(pq, epoch, std::move(resp)); });
  }

  void OnPull(const std::shared_ptr<ProcessQueue>& pq, uint64_t epoch, Result<remoting::Command> resp) {
    if (!running_ || pq->dropped) return;
    pq->last_pull_ms = client::NowMs();
    auto self = shared_from_this();
    uint64_t delay = 0;
    if (pq->epoch != epoch) return;  // Seek started a new loop
    if (!resp.ok()) {
      delay = kRetryDelayMs;
    } else if (auto r = client::ParsePullResponse(std::move(resp.value())); !r.ok()) {
      delay = kRetryDelayMs;
    } else if (r->code == 0) {
      auto msgs = client::DecodeMessages(r->body, pq->mq.broker_name);
      std::lock_guard<std::mutex> lock(mu_);
      if (pq->epoch == epoch && msgs.ok()) {
        auto sub = subs_.find(pq->mq.topic);
        std::vector<MessageExt> keep;
        for (auto& m : msgs.value()) {
          if (sub == subs_.end() || client::TagMatches(sub->second.tags, m)) keep.push_back(std::move(m));
        }
        pq->Put(std::move(keep));
        pq->pull_offset = r->next_begin_offset;
        cv_.notify_all();
      }
    } else {
      pq->pull_offset = r->next_begin_offset;
    }
    inst_->RunOnIo(delay, [self, pq, epoch] { self->Pull(pq, epoch); });
  }

  ConsumerOptions opt_;
  std::map<std::string, client::SubscriptionData> subs_;
  std::vector<MessageQueue> assigned_;
  std::shared_ptr<client::ClientInstance> inst_;
  std::unique_ptr<client::OffsetStore> offsets_;
  std::atomic<bool> running_{false};
  mutable std::mutex mu_;  // table_, the caches' hand-off to Poll
  std::condition_variable cv_;
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> table_;
  MessageQueue last_polled_;
  int64_t next_commit_ms_ = 0;
  int64_t start_ms_ = 0;
};

PullConsumer::PullConsumer(ConsumerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}
PullConsumer::~PullConsumer() { impl_->Shutdown(); }
Outcome PullConsumer::Subscribe(const std::string& t, const std::string& e) { return impl_->Subscribe(t, e); }
Outcome PullConsumer::Assign(const std::vector<MessageQueue>& q) { return impl_->Assign(q); }
void PullConsumer::SetAutoCommit(bool enabled) { impl_->auto_commit_ = enabled; }
Outcome PullConsumer::Start() { return impl_->Start(); }
void PullConsumer::Shutdown() { impl_->Shutdown(); }
std::vector<MessageExt> PullConsumer::Poll(uint64_t timeout_ms) { return impl_->Poll(timeout_ms); }
Outcome PullConsumer::Seek(const MessageQueue& q, int64_t offset) { return impl_->Seek(q, offset); }
Outcome PullConsumer::SeekToBegin(const MessageQueue& q) { return impl_->SeekEdge(q, false); }
Outcome PullConsumer::SeekToEnd(const MessageQueue& q) { return impl_->SeekEdge(q, true); }
Outcome PullConsumer::CommitSync() { return impl_->CommitSync(); }
Expected<int64_t> PullConsumer::Committed(const MessageQueue& q) { return impl_->Committed(q); }
Expected<std::vector<MessageQueue>> PullConsumer::FetchMessageQueues(const std::string& t) { return impl_->Fetch(t); }
std::vector<MessageQueue> PullConsumer::Assignment() const { return impl_->Assignment(); }
const std::string& PullConsumer::client_id() const { return impl_->client_id(); }

}  // namespace mq
