// PushConsumer: start-up, rebalance, offsets, locks and the long-polling pull loop (spec 7.5-7.7).
#include "client/push_consumer_impl.h"

#include <set>

#include "base/log.h"
#include "client/message_codec.h"
#include "client/queue_table.h"
#include "client/rebalance.h"

namespace mq {
namespace {

using client::ProcessQueue;

constexpr uint64_t kFlowControlDelayMs = 50;
constexpr uint64_t kPullErrorDelayMs = 3000;   // pullTimeDelayMillsWhenException
constexpr uint64_t kNotLockedDelayMs = 500;
constexpr uint64_t kPullTimeoutExtraMs = 15000;  // the broker holds up to suspend_ms, then answers
constexpr int64_t kLockRenewMs = 20000;
constexpr uint64_t kShutdownListenerWaitMs = 10000;
constexpr uint64_t kResetListenerWaitMs = 10000;  // Java sleeps 10 s before resetting

const char* FromWhereName(ConsumeFromWhere w) {
  switch (w) {
    case ConsumeFromWhere::kFirstOffset: return "CONSUME_FROM_FIRST_OFFSET";
    case ConsumeFromWhere::kTimestamp: return "CONSUME_FROM_TIMESTAMP";
    default: return "CONSUME_FROM_LAST_OFFSET";
  }
}

}  // namespace

Outcome PushConsumer::Impl::Subscribe(const std::string& topic, const std::string& expression) {
  Status st = client::ValidateTopic(topic);
  if (!st.ok()) return client::ToOutcome(st);
  if (running_) return Outcome::Fail("subscribe before Start()");
  client::SubscriptionData s;
  s.topic = topic;
  s.tags = client::ParseTagExpression(expression);
  s.sub_string = s.tags.empty() ? "*" : expression;
  s.sub_version = client::NowMs();
  subs_[topic] = std::move(s);
  return Outcome::Ok();
}

Outcome PushConsumer::Impl::Start() {
  if (running_) return Outcome::Fail("already started");
  if (subs_.empty()) return Outcome::Fail("subscribe to at least one topic before Start()");
  if (!concurrent_ && !orderly_) return Outcome::Fail("register a listener before Start()");
  if (clustering()) {
    client::SubscriptionData retry;
    retry.topic = client::RetryTopic(opt_.group);
    retry.sub_version = client::NowMs();
    subs_[retry.topic] = retry;
  }
  auto inst = client::ClientInstance::StartForConsumer(opt_, weak_from_this());
  if (!inst.ok()) return client::ToOutcome(inst.status());
  inst_ = inst.value();
  for (const auto& [topic, s] : subs_) {
    if (topic.rfind(client::kRetryPrefix, 0) == 0) continue;
    auto route = inst_->Route(topic);
    if (!route.ok()) {
      inst_->Shutdown();
      inst_.reset();
      return client::ToOutcome(route.status());
    }
  }
  offsets_ = clustering() ? client::MakeRemoteOffsetStore(inst_, opt_.group)
                          : client::MakeLocalOffsetStore(opt_.offset_store_dir, inst_->client_id(), opt_.group);
  pool_ = std::make_unique<client::ThreadPool>(std::max<uint32_t>(1, opt_.consume_threads), 1u << 16);
  start_ms_ = client::NowMs();
  running_ = true;
  inst_->SendHeartbeatToAll();
  (void)inst_->TakeRouteChanged();
  Rebalance();
  next_persist_ms_ = client::NowMs() + static_cast<int64_t>(opt_.persist_offset_interval_ms);
  next_lock_ms_ = client::NowMs() + kLockRenewMs;
  return Outcome::Ok();
}

void PushConsumer::Impl::Shutdown() {
  if (!running_.exchange(false)) return;
  // Let a rebalance or offset reset in progress finish; later ones see running_ == false once they
  // hold the lock. It must not stay held: inst_->Shutdown() joins the service thread, which may be
  // waiting for it (that wait was a shutdown deadlock).
  { std::lock_guard<std::mutex> rebalancing(rebalance_mu_); }
  // Queued consume tasks see running_ == false and return at once; a slow listener is given a
  // bounded time (its messages are consumed again by the next owner).
  if (!pool_->Stop(kShutdownListenerWaitMs)) {
    MQ_LOG_WARN("consumer {}: listeners still running {} ms after shutdown began; not waiting for them",
                inst_->client_id(), kShutdownListenerWaitMs);
  }
  std::vector<std::shared_ptr<ProcessQueue>> all;
  {
    std::lock_guard<std::mutex> lock(table_mu_);
    for (auto& [mq, pq] : table_) all.push_back(pq);
    table_.clear();
  }
  std::vector<MessageQueue> locked;
  for (auto& pq : all) {
    pq->dropped = true;
    if (pq->locked) locked.push_back(pq->mq);
  }
  Status st = offsets_->PersistAllSync();
  if (!st.ok()) MQ_LOG_WARN("consumer {}: offsets not committed at shutdown: {}", inst_->client_id(), st.remark());
  if (is_orderly() && clustering()) client::UnlockQueues(*inst_, opt_.group, locked);
  inst_->Shutdown();
}

std::vector<MessageQueue> PushConsumer::Impl::Assigned() const {
  std::lock_guard<std::mutex> lock(table_mu_);
  std::vector<MessageQueue> out;
  for (const auto& [mq, pq] : table_) {
    if (mq.topic.rfind(client::kRetryPrefix, 0) != 0) out.push_back(mq);
  }
  return out;
}

const std::string& PushConsumer::Impl::client_id() const {
  static const std::string none;
  return inst_ ? inst_->client_id() : none;
}

void PushConsumer::Impl::FillHeartbeat(client::HeartbeatData& hb) {
  client::ConsumerData c;
  c.group = opt_.group;
  c.push = true;
  c.clustering = clustering();
  c.consume_from_where = FromWhereName(opt_.from_where);
  for (const auto& [topic, s] : subs_) c.subscriptions.push_back(s);
  hb.consumers.push_back(std::move(c));
}

void PushConsumer::Impl::Rebalance() {
  if (!running_) return;
  std::lock_guard<std::mutex> lock(rebalance_mu_);
  if (!running_) return;  // Shutdown began while we waited
  for (const auto& [topic, s] : subs_) {
    auto assigned = client::AllocateQueues(*inst_, opt_.group, topic, clustering());
    if (!assigned.ok()) {
      // A retry topic has no route until the broker creates it; keep the current assignment.
      MQ_LOG_DEBUG("rebalance of {} skipped: {}", topic, assigned.status().remark());
      continue;
    }
    UpdateQueues(topic, assigned.value());
  }
}

void PushConsumer::Impl::UpdateQueues(const std::string& topic, const std::vector<MessageQueue>& assigned) {
  const std::set<MessageQueue> want(assigned.begin(), assigned.end());
  std::vector<std::shared_ptr<ProcessQueue>> removed;
  std::vector<MessageQueue> added;
  {
    std::lock_guard<std::mutex> lock(table_mu_);
    for (auto it = table_.begin(); it != table_.end();) {
      if (it->first.topic == topic && want.count(it->first) == 0) {
        removed.push_back(it->second);
        it = table_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& mq : want) {
      if (table_.count(mq) == 0) added.push_back(mq);
    }
  }
  for (auto& pq : removed) RemoveQueue(pq);
  if (is_orderly() && clustering() && !added.empty()) {
    std::map<std::string, std::vector<MessageQueue>> by_broker;
    for (const auto& mq : added) by_broker[mq.broker_name].push_back(mq);
    added.clear();
    for (const auto& [b, qs] : by_broker) {
      auto got = client::LockQueues(*inst_, opt_.group, qs);
      if (got.ok()) added.insert(added.end(), got->begin(), got->end());
    }
  }
  for (const auto& mq : added) {
    offsets_->Remove(mq);
    auto start = client::ComputeStartOffset(*inst_, *offsets_, mq, opt_.from_where, opt_.consume_timestamp_ms);
    if (!start.ok()) {
      MQ_LOG_WARN("cannot find the start offset of {}: {}", mq.ToString(), start.status().remark());
      continue;  // the next rebalance tries again
    }
    auto pq = std::make_shared<ProcessQueue>(mq);
    pq->pull_offset = start.value();
    if (is_orderly() && clustering()) {
      pq->locked = true;
      pq->lock_time_ms = client::NowMs();
    }
    {
      std::lock_guard<std::mutex> lock(table_mu_);
      table_[mq] = pq;
    }
    MQ_LOG_INFO("consumer {} of group {} now owns {} from offset {}", inst_->client_id(), opt_.group,
                mq.ToString(), start.value());
    auto self = shared_from_this();
    inst_->RunOnIo(0, [self, pq] { self->Pull(pq); });
  }
}

void PushConsumer::Impl::RemoveQueue(const std::shared_ptr<ProcessQueue>& pq) {
  pq->dropped = true;
  if (is_orderly() && clustering()) {
    // Wait (bounded) for a running listener so the next owner does not overlap with it.
    std::unique_lock<std::mutex> guard(pq->consume_mu, std::defer_lock);
    for (int i = 0; i < 100 && !guard.try_lock(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (clustering()) (void)offsets_->PersistSync(pq->mq);
  offsets_->Remove(pq->mq);
  if (is_orderly() && clustering()) client::UnlockQueues(*inst_, opt_.group, {pq->mq});
  MQ_LOG_INFO("consumer {} released {}", inst_->client_id(), pq->mq.ToString());
}

void PushConsumer::Impl::RenewLocks() {
  std::map<std::string, std::vector<std::shared_ptr<ProcessQueue>>> by_broker;
  {
    std::lock_guard<std::mutex> lock(table_mu_);
    for (auto& [mq, pq] : table_) by_broker[mq.broker_name].push_back(pq);
  }
  for (auto& [broker, pqs] : by_broker) {
    std::vector<MessageQueue> qs;
    for (auto& pq : pqs) qs.push_back(pq->mq);
    auto got = client::LockQueues(*inst_, opt_.group, qs);
    if (!got.ok()) continue;
    const std::set<MessageQueue> ok(got->begin(), got->end());
    for (auto& pq : pqs) {
      const bool is_locked = ok.count(pq->mq) > 0;
      pq->locked = is_locked;
      if (is_locked) pq->lock_time_ms = client::NowMs();
    }
  }
}

void PushConsumer::Impl::Tick(int64_t now_ms) {
  if (!running_) return;
  if (now_ms >= next_persist_ms_) {
    offsets_->PersistAll();
    next_persist_ms_ = now_ms + static_cast<int64_t>(opt_.persist_offset_interval_ms);
  }
  if (is_orderly() && clustering() && now_ms >= next_lock_ms_) {
    RenewLocks();
    next_lock_ms_ = now_ms + kLockRenewMs;
  }
}

void PushConsumer::Impl::Pull(const std::shared_ptr<ProcessQueue>& pq) {
  if (!running_ || pq->dropped) return;
  auto self = shared_from_this();
  if (pq->Count() >= opt_.pull_threshold_for_queue) {  // flow control: let the listeners catch up
    inst_->RunOnIo(kFlowControlDelayMs, [self, pq] { self->Pull(pq); });
    return;
  }
  if (is_orderly() && clustering() && !pq->LockValid(client::NowMs())) {
    inst_->RunOnIo(kNotLockedDelayMs, [self, pq] { self->Pull(pq); });
    return;
  }
  const auto sub_it = subs_.find(pq->mq.topic);
  if (sub_it == subs_.end()) return;
  client::PullHeader h;
  h.consumer_group = opt_.group;
  h.topic = pq->mq.topic;
  h.queue_id = pq->mq.queue_id;
  h.queue_offset = pq->pull_offset;
  h.max_msg_nums = static_cast<int32_t>(opt_.pull_batch_size);
  h.suspend_timeout_ms = static_cast<int64_t>(opt_.suspend_ms);
  // The expression travels with every pull so the broker never depends on having seen our heartbeat.
  h.sys_flag = client::kPullSuspend | client::kPullSubscription;
  h.subscription = sub_it->second.sub_string;
  h.sub_version = sub_it->second.sub_version;
  h.broker_name = pq->mq.broker_name;
  if (clustering()) {
    const int64_t committed = offsets_->Read(pq->mq);
    if (committed > 0) {
      h.commit_offset = committed;
      h.sys_flag |= client::kPullCommitOffset;
    }
  }
  const std::string addr = inst_->BrokerAddr(pq->mq.broker_name, false);
  if (addr.empty()) {
    inst_->RunOnIo(kPullErrorDelayMs, [self, pq] { self->Pull(pq); });
    return;
  }
  inst_->InvokeAsync(addr, client::BuildPullRequest(h), opt_.suspend_ms + kPullTimeoutExtraMs,
                     [self, pq](Result<remoting::Command> resp) { self->OnPull(pq, std::move(resp)); });
}

void PushConsumer::Impl::OnPull(const std::shared_ptr<ProcessQueue>& pq, Result<remoting::Command> resp) {
  if (!running_ || pq->dropped) return;
  pq->last_pull_ms = client::NowMs();
  auto self = shared_from_this();
  auto again = [&](uint64_t delay_ms) { inst_->RunOnIo(delay_ms, [self, pq] { self->Pull(pq); }); };
  if (!resp.ok()) {
    MQ_LOG_DEBUG("pull {} failed: {}", pq->mq.ToString(), resp.status().remark());
    again(kPullErrorDelayMs);
    return;
  }
  auto pulled = client::ParsePullResponse(std::move(resp.value()));
  if (!pulled.ok()) {
    MQ_LOG_WARN("pull {} failed: {}", pq->mq.ToString(), pulled.status().remark());
    again(kPullErrorDelayMs);
    return;
  }
  const client::PullResponse& r = pulled.value();
  if (r.code == 0) {
    auto msgs = client::DecodeMessages(r.body, pq->mq.broker_name);
    pq->pull_offset = r.next_begin_offset;
    if (!msgs.ok()) {
      MQ_LOG_WARN("undecodable pull answer for {}: {}", pq->mq.ToString(), msgs.status().remark());
      again(kPullErrorDelayMs);
      return;
    }
    const auto& sub = subs_.at(pq->mq.topic);
    std::vector<MessageExt> keep;
    for (auto& m : msgs.value()) {
      if (!client::TagMatches(sub.tags, m)) continue;  // the broker filtered by hash only
      client::RestoreRetryTopic(m, opt_.group);
      keep.push_back(std::move(m));
    }
    if (keep.empty()) {
      if (!pq->dropped) offsets_->Update(pq->mq, r.next_begin_offset, true);  // everything filtered: move on
    } else {
      Dispatch(pq, keep);
    }
    again(0);
    return;
  }
  if (r.code == 21) {  // offset moved: restart from the broker's suggestion
    MQ_LOG_WARN("offset of {} moved to {}", pq->mq.ToString(), r.next_begin_offset);
    pq->Clear();
    offsets_->Update(pq->mq, r.next_begin_offset, false);
  }
  pq->pull_offset = r.next_begin_offset;
  again(0);
}

void PushConsumer::Impl::ResetOffset(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) {
  std::lock_guard<std::mutex> rebalancing(rebalance_mu_);  // Java suspends the consumer meanwhile
  if (!running_) return;
  std::vector<std::shared_ptr<ProcessQueue>> affected;
  {
    std::lock_guard<std::mutex> lock(table_mu_);
    for (const auto& [mq, pq] : table_) {
      if (mq.topic == topic && offsets.count(mq) != 0) affected.push_back(pq);
    }
  }
  // Pulls in flight and queued consume tasks of these queues end at their `dropped` check; a
  // listener already running finishes before the new offset is written, so its commit cannot
  // land after it.
  for (auto& pq : affected) {
    pq->dropped = true;
    pq->Clear();
  }
  // One deadline for all of them; a shutdown meanwhile ends the wait (and the reset).
  const int64_t deadline_ms = client::NowMs() + static_cast<int64_t>(kResetListenerWaitMs);
  for (auto& pq : affected) {
    while (running_ && !pq->WaitIdle(20) && client::NowMs() < deadline_ms) {
    }
    if (!pq->WaitIdle(0)) MQ_LOG_WARN("reset of {}: a listener is still running", pq->mq.ToString());
  }
  if (!running_) return;
  auto self = shared_from_this();
  for (auto& old_pq : affected) {
    const int64_t offset = offsets.at(old_pq->mq);
    offsets_->Update(old_pq->mq, offset, false);
    Status st = offsets_->PersistSync(old_pq->mq);
    if (!st.ok()) MQ_LOG_WARN("reset of {}: committing offset {} failed: {}", old_pq->mq.ToString(), offset, st.remark());
    auto pq = std::make_shared<ProcessQueue>(old_pq->mq);
    pq->pull_offset = offset;
    pq->locked = old_pq->locked.load();  // the broker lock is still ours
    pq->lock_time_ms = old_pq->lock_time_ms.load();
    {
      std::lock_guard<std::mutex> lock(table_mu_);
      auto it = table_.find(pq->mq);
      if (it == table_.end() || it->second != old_pq) continue;  // released meanwhile
      it->second = pq;
    }
    MQ_LOG_INFO("consumer {} of group {}: {} reset to offset {}", inst_->client_id(), opt_.group, pq->mq.ToString(),
                offset);
    inst_->RunOnIo(0, [self, pq] { self->Pull(pq); });
  }
}

std::string PushConsumer::Impl::RunningInfo() {
  client::RunningInfo info;
  auto& p = info.properties;
  p["PROP_NAMESERVER_ADDR"] = opt_.namesrv_addr;
  p["PROP_CONSUME_TYPE"] = "CONSUME_PASSIVELY";
  p["PROP_CONSUMEORDERLY"] = is_orderly() ? "true" : "false";
  p["PROP_THREADPOOL_CORE_SIZE"] = std::to_string(opt_.consume_threads);
  p["PROP_CONSUMER_START_TIMESTAMP"] = std::to_string(start_ms_);
  p["PROP_CLIENT_VERSION"] = "V4_9_8";
  p["consumerGroup"] = opt_.group;
  p["messageModel"] = clustering() ? "CLUSTERING" : "BROADCASTING";
  p["consumeFromWhere"] = FromWhereName(opt_.from_where);
  p["consumeThreadMin"] = std::to_string(opt_.consume_threads);
  p["consumeThreadMax"] = std::to_string(opt_.consume_threads);
  p["consumeMessageBatchMaxSize"] = std::to_string(opt_.consume_batch_max_size);
  p["pullBatchSize"] = std::to_string(opt_.pull_batch_size);
  p["pullThresholdForQueue"] = std::to_string(opt_.pull_threshold_for_queue);
  p["maxReconsumeTimes"] = std::to_string(opt_.max_reconsume_times);
  p["instanceName"] = opt_.instance_name.empty() ? "DEFAULT" : opt_.instance_name;
  for (const auto& [topic, sub] : subs_) info.subscriptions.push_back(sub);
  std::vector<std::shared_ptr<ProcessQueue>> pqs;
  {
    std::lock_guard<std::mutex> lock(table_mu_);
    for (const auto& [mq, pq] : table_) pqs.push_back(pq);
  }
  for (const auto& pq : pqs) {
    client::QueueRunningInfo q;
    q.commit_offset = offsets_->Read(pq->mq);
    const auto stats = pq->Stats();
    q.cached_count = static_cast<int64_t>(stats.count);
    q.cached_min_offset = stats.min_offset;
    q.cached_max_offset = stats.max_offset;
    q.locked = pq->locked;
    q.last_lock_ms = pq->lock_time_ms;
    q.dropped = pq->dropped;
    q.last_pull_ms = pq->last_pull_ms;
    q.last_consume_ms = pq->last_consume_ms;
    info.queues[pq->mq] = q;
  }
  return client::EncodeRunningInfo(info);
}

// --- public forwarding ---
PushConsumer::PushConsumer(ConsumerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}
PushConsumer::~PushConsumer() { impl_->Shutdown(); }
Outcome PushConsumer::Subscribe(const std::string& topic, const std::string& tag_expression) {
  return impl_->Subscribe(topic, tag_expression);
}
void PushConsumer::RegisterListener(ConcurrentListener listener) { impl_->SetListener(std::move(listener)); }
void PushConsumer::RegisterListener(OrderlyListener listener) { impl_->SetListener(std::move(listener)); }
Outcome PushConsumer::Start() { return impl_->Start(); }
void PushConsumer::Shutdown() { impl_->Shutdown(); }
std::vector<MessageQueue> PushConsumer::AssignedQueues() const { return impl_->Assigned(); }
const std::string& PushConsumer::client_id() const { return impl_->client_id(); }

}  // namespace mq
