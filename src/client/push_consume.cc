// PushConsumer consumption: concurrently (batches on the pool; failures sent back with
// CONSUMER_SEND_MSG_BACK, delay level 0 = broker schedule; if that fails the batch is consumed
// again locally after 5 s) or orderly (one thread per queue, only while the broker lock is held;
// failures suspend the queue for a moment and retry in order; a message whose local reconsume
// count reached max_reconsume_times is sent to %DLQ%<group> and the queue goes on, as Java's
// ConsumeMessageOrderlyService.checkReconsumeTimes does; if that send fails it keeps retrying).
#include <chrono>
#include <climits>

#include "base/log.h"
#include "client/message_codec.h"
#include "client/push_consumer_impl.h"

namespace mq {
namespace {

using client::ProcessQueue;

constexpr uint64_t kLocalRetryDelayMs = 5000;
constexpr uint64_t kSuspendDelayMs = 1000;
constexpr uint64_t kPoolFullDelayMs = 100;
constexpr int64_t kMaxContinuousConsumeMs = 60000;  // then yield the thread to other queues

}  // namespace

void PushConsumer::Impl::SubmitOrRetry(std::function<void()> task) {
  if (!running_) return;
  auto shared = std::make_shared<std::function<void()>>(std::move(task));
  if (pool_->Submit([shared] { (*shared)(); })) return;
  auto self = shared_from_this();
  inst_->RunOnIo(kPoolFullDelayMs, [self, shared] { self->SubmitOrRetry(*shared); });
}

void PushConsumer::Impl::Dispatch(const std::shared_ptr<ProcessQueue>& pq, const std::vector<MessageExt>& msgs) {
  pq->Put(msgs);
  if (is_orderly()) {
    ScheduleOrderly(pq, 0);
    return;
  }
  const size_t batch = std::max<uint32_t>(1, opt_.consume_batch_max_size);
  auto self = shared_from_this();
  for (size_t i = 0; i < msgs.size(); i += batch) {
    std::vector<MessageExt> part(msgs.begin() + i, msgs.begin() + std::min(msgs.size(), i + batch));
    SubmitOrRetry([self, pq, part = std::move(part)]() mutable { self->ConsumeConcurrently(pq, std::move(part)); });
  }
}

int32_t PushConsumer::Impl::MaxReconsumeTimes() const {
  if (opt_.max_reconsume_times >= 0) return opt_.max_reconsume_times;
  return is_orderly() ? INT32_MAX : 16;
}

bool PushConsumer::Impl::SendBack(const MessageExt& msg, bool to_dlq) {
  client::SendBackHeader h;
  h.offset = msg.commit_log_offset;
  h.group = opt_.group;
  h.delay_level = to_dlq ? -1 : 0;  // < 0: straight to the DLQ (both Java's broker and ours)
  h.origin_msg_id = msg.msg_id;
  h.origin_topic = msg.topic;
  h.max_reconsume_times = MaxReconsumeTimes();
  h.broker_name = msg.queue.broker_name;
  std::string addr = inst_->BrokerAddr(msg.queue.broker_name, true);
  if (addr.empty()) addr = msg.store_host;
  auto resp = inst_->Invoke(addr, client::BuildConsumerSendMsgBack(h), inst_->config().rpc_timeout_ms);
  if (!resp.ok() || resp->code != 0) {
    MQ_LOG_WARN("send back of {} failed: {}", msg.msg_id,
                resp.ok() ? client::ResponseError(resp.value(), "CONSUMER_SEND_MSG_BACK").remark()
                          : resp.status().remark());
    return false;
  }
  return true;
}

void PushConsumer::Impl::ConsumeConcurrently(std::shared_ptr<ProcessQueue> pq, std::vector<MessageExt> msgs) {
  // Counted before the `dropped` check: an offset reset that sets `dropped` then waits for
  // `consuming` to reach 0 knows no commit of this task can follow its own.
  struct Counted {
    std::atomic<int32_t>& n;
    explicit Counted(std::atomic<int32_t>& c) : n(c) { ++n; }
    ~Counted() { --n; }
  } counted(pq->consuming);
  if (!running_ || pq->dropped) return;
  pq->last_consume_ms = client::NowMs();
  for (auto& m : msgs) m.all_properties["CONSUME_START_TIME"] = std::to_string(client::NowMs());
  ConsumeResult result = ConsumeResult::kReconsumeLater;
  result = concurrent_(msgs);
  if (pq->dropped) return;  // rebalanced away while consuming: the new owner starts from the commit
  std::vector<MessageExt> done;
  std::vector<MessageExt> again;
  if (result == ConsumeResult::kSuccess) {
    done = std::move(msgs);
  } else if (!clustering()) {
    MQ_LOG_WARN("broadcasting consumer dropped {} failed message(s) (no retry in broadcasting)", msgs.size());
    done = std::move(msgs);
  } else {
    for (auto& m : msgs) {
      if (SendBack(m, false)) {
        done.push_back(std::move(m));
      } else {
        again.push_back(std::move(m));
      }
    }
  }
  const int64_t offset = pq->Remove(done);
  if (offset >= 0 && !pq->dropped) offsets_->Update(pq->mq, offset, true);
  if (!again.empty()) {
    for (auto& m : again) ++m.reconsume_times;
    auto self = shared_from_this();
    inst_->RunOnIo(kLocalRetryDelayMs, [self, pq, again = std::move(again)]() mutable {
      self->SubmitOrRetry(
          [self, pq, again = std::move(again)]() mutable { self->ConsumeConcurrently(pq, std::move(again)); });
    });
  }
}

bool PushConsumer::Impl::GiveUpOrderly(std::vector<MessageExt>& msgs) {
  const int32_t max = MaxReconsumeTimes();
  bool suspend = false;
  for (auto& m : msgs) {
    if (m.reconsume_times >= max && SendBack(m, true)) {
      MQ_LOG_WARN("orderly consumer {} gave up on {} of {} after {} attempts: moved to %DLQ%{}", inst_->client_id(),
                  m.msg_id, m.queue.ToString(), m.reconsume_times + 1, opt_.group);
      continue;
    }
    suspend = true;
    if (m.reconsume_times < INT32_MAX) ++m.reconsume_times;
  }
  return !suspend;
}

void PushConsumer::Impl::ScheduleOrderly(const std::shared_ptr<ProcessQueue>& pq, uint64_t delay_ms) {
  if (pq->orderly_scheduled.exchange(true)) return;
  auto self = shared_from_this();
  auto submit = [self, pq] { self->SubmitOrRetry([self, pq] { self->ConsumeOrderly(pq); }); };
  if (delay_ms == 0) {
    submit();
  } else {
    inst_->RunOnIo(delay_ms, submit);
  }
}

void PushConsumer::Impl::ConsumeOrderly(std::shared_ptr<ProcessQueue> pq) {
  uint64_t retry_delay_ms = 0;
  {
    std::lock_guard<std::mutex> guard(pq->consume_mu);
    const int64_t began = client::NowMs();
    const size_t batch = std::max<uint32_t>(1, opt_.consume_batch_max_size);
    while (running_ && !pq->dropped) {
      if (clustering() && !pq->LockValid(client::NowMs())) {
        retry_delay_ms = kSuspendDelayMs;  // the lock renewal may bring it back
        break;
      }
      if (client::NowMs() - began > kMaxContinuousConsumeMs) {
        retry_delay_ms = 10;
        break;
      }
      std::vector<MessageExt> msgs = pq->TakeOrderly(batch);
      if (msgs.empty()) break;
      pq->last_consume_ms = client::NowMs();
      const OrderlyResult r = orderly_(msgs);
      if (r != OrderlyResult::kSuccess && !GiveUpOrderly(msgs)) {
        pq->RollbackOrderly(msgs);  // with the bumped reconsume counts
        retry_delay_ms = kSuspendDelayMs;
        break;
      }
      const int64_t next = pq->CommitOrderly();
      if (next >= 0 && !pq->dropped) offsets_->Update(pq->mq, next, true);
    }
  }
  pq->orderly_scheduled = false;
  if (!running_ || pq->dropped) return;
  if (retry_delay_ms > 0) {
    ScheduleOrderly(pq, retry_delay_ms);
  } else if (pq->Count() > 0) {
    ScheduleOrderly(pq, 0);  // messages arrived after the loop saw an empty queue
  }
}

}  // namespace mq
