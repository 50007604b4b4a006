// Producer: queue selection, retries (spec 7.3), the three send modes, selector and batch sends,
// zlib compression of large single-message bodies (compress_over_bytes, as Java).
// Sync sends block the caller (never the I/O thread); async sends run their attempts as callbacks
// on the I/O thread and hand the final result to the callback pool.
#include "mq/producer.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <random>

#include "client/client_instance.h"
#include "client/message_codec.h"
#include "client/protocol.h"
#include "client/thread_pool.h"
#include "model/batch.h"
#include "model/host_address.h"
#include "model/message_id.h"

namespace mq {
namespace {

using client::ClientInstance;
using client::NowMs;

bool Retryable(int32_t code) {
  return code == 17 || code == 14 || code == 1 || code == 16 || code == 204 || code == 205;
}

SendStatus StatusOfCode(int32_t code) {
  switch (code) {
    case 10: return SendStatus::kFlushDiskTimeout;
    case 11: return SendStatus::kSlaveNotAvailable;
    case 12: return SendStatus::kFlushSlaveTimeout;
    default: return SendStatus::kSendOk;
  }
}

model::HostAddress ParseIp(const std::string& ip) {
  auto h = model::HostAddress::Parse(ip + ":0");
  return h.ok() ? h.value() : model::HostAddress::V4(127, 0, 0, 1, 0);
}

}  // namespace

// One message (or batch) on its way: what every attempt needs.
struct PreparedSend {
  client::SendHeader header;
  std::string body;
  std::string msg_id;  // UNIQ_KEY(s)
  std::vector<MessageQueue> queues;
  std::shared_ptr<const client::TopicRoute> route;
};

class Producer::Impl {
 public:
  explicit Impl(ProducerOptions options)
      : opt_(std::move(options)),
        uniq_(ParseIp(client::LocalIp()), static_cast<uint32_t>(getpid()), std::random_device{}()),
        counter_(std::random_device{}() % 1024) {}

  Outcome Start() {
    if (opt_.compress_level < -1 || opt_.compress_level > 9) {
      return Outcome::Fail("compress_level is " + std::to_string(opt_.compress_level) + "; use a zlib level 0..9");
    }
    client::InstanceConfig cfg;
    cfg.namesrv_addr = opt_.namesrv_addr;
    cfg.instance_name = opt_.instance_name;
    cfg.rpc_timeout_ms = opt_.send_timeout_ms;
    client::InstanceHooks hooks;
    hooks.producer_group = opt_.group;
    auto inst = ClientInstance::Start(cfg, hooks);
    if (!inst.ok()) return client::ToOutcome(inst.status());
    inst_ = inst.value();
    callbacks_ = std::make_unique<client::ThreadPool>(std::max<uint32_t>(1, opt_.callback_threads),
                                                      opt_.max_async_in_flight * 2 + 1024);
    return Outcome::Ok();
  }

  void Shutdown() {
    if (inst_ == nullptr) return;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(opt_.send_timeout_ms + 2000), [this] { return in_flight_ == 0; });
    }
    inst_->Shutdown();
    callbacks_->Stop();
    inst_.reset();
  }

  const std::string& client_id() const {
    static const std::string none;
    return inst_ ? inst_->client_id() : none;
  }

  Result<std::vector<MessageQueue>> PublishQueues(const std::string& topic,
                                                  std::shared_ptr<const client::TopicRoute>* route_out) {
    if (inst_ == nullptr) return Status::SystemError("producer is not started");
    auto route = inst_->Route(topic);
    if (!route.ok()) {
      // Like Java: an unknown topic goes through TBW102's route so the broker can auto-create it.
      auto fallback = inst_->CachedRoute(client::kDefaultTopic);
      if (fallback == nullptr && route.status().code() == ResponseCode::kTopicNotExist) {
        auto r = inst_->Route(client::kDefaultTopic);
        if (r.ok()) fallback = r.value();
      }
      if (fallback == nullptr) return route.status();
      auto queues = client::PublishQueues(topic, *fallback);
      std::vector<MessageQueue> limited;
      for (const auto& q : queues) {
        if (q.queue_id < opt_.default_topic_queue_nums) limited.push_back(q);
      }
      if (limited.empty()) return route.status();
      if (route_out) *route_out = fallback;
      return limited;
    }
    auto queues = client::PublishQueues(topic, *route.value());
    if (queues.empty()) {
      return Status(ResponseCode::kTopicNotExist,
                    "topic " + topic + " has no writable queue on a broker with a live master");
    }
    if (route_out) *route_out = route.value();
    return queues;
  }

  Result<PreparedSend> Prepare(const Message& msg) {
    Status st = client::ValidateMessage(msg, opt_.max_message_bytes);
    if (!st.ok()) return st;
    PreparedSend p;
    auto queues = PublishQueues(msg.topic, &p.route);
    if (!queues.ok()) return queues.status();
    p.queues = std::move(queues.value());
    p.msg_id = uniq_.Next();
    p.header.producer_group = opt_.group;
    p.header.topic = msg.topic;
    p.header.default_topic_queue_nums = opt_.default_topic_queue_nums;
    p.header.flag = msg.flag;
    p.header.properties = client::EncodeSendProperties(msg, p.msg_id);
    // Compressed once here, not per attempt: retries resend the same bytes.
    p.body = client::BodyForSend(msg.body, opt_.compress_over_bytes, opt_.compress_level, &p.header.sys_flag);
    return p;
  }

  Result<PreparedSend> PrepareBatch(const std::vector<Message>& msgs) {
    if (msgs.empty()) return Status(ResponseCode::kMessageIllegal, "empty batch");
    PreparedSend p;
    size_t total = 0;
    for (const auto& m : msgs) {
      Status st = client::ValidateMessage(m, opt_.max_message_bytes);
      if (!st.ok()) return st;
      if (m.topic != msgs[0].topic) return Status(ResponseCode::kMessageIllegal, "a batch must have one topic");
      if (m.delay_level > 0) return Status(ResponseCode::kMessageIllegal, "a batch cannot carry a delay level");
      const std::string id = uniq_.Next();
      model::EncodeBatchEntry(m.flag, m.body, client::EncodeSendProperties(m, id), p.body);
      p.msg_id += (p.msg_id.empty() ? "" : ",") + id;
      total += m.body.size();
    }
    if (p.body.size() > opt_.max_message_bytes) {
      return Status(ResponseCode::kMessageIllegal, "the batch is " + std::to_string(p.body.size()) +
                                                       " bytes, more than " + std::to_string(opt_.max_message_bytes));
    }
    auto queues = PublishQueues(msgs[0].topic, &p.route);
    if (!queues.ok()) return queues.status();
    p.queues = std::move(queues.value());
    p.header.producer_group = opt_.group;
    p.header.topic = msgs[0].topic;
    p.header.default_topic_queue_nums = opt_.default_topic_queue_nums;
    p.header.properties = "WAIT\001true";
    p.header.batch = true;
    return p;
  }

  // Next queue round-robin, avoiding `avoid_broker` when another broker has queues.
  MessageQueue PickQueue(const std::vector<MessageQueue>& queues, const std::string& avoid_broker) {
    const uint32_t start = counter_.fetch_add(1);
    for (size_t i = 0; i < queues.size(); ++i) {
      const MessageQueue& q = queues[(start + i) % queues.size()];
      if (avoid_broker.empty() || q.broker_name != avoid_broker) return q;
    }
    return queues[start % queues.size()];
  }

  std::string AddrOf(const PreparedSend& p, const MessageQueue& q) {
    if (p.route) {
      if (const auto* b = p.route->FindBroker(q.broker_name)) return b->Master();
    }
    return inst_->BrokerAddr(q.broker_name, true);
  }

  remoting::Command Request(PreparedSend& p, const MessageQueue& q) {
    p.header.queue_id = q.queue_id;
    p.header.broker_name = q.broker_name;
    p.header.born_timestamp_ms = NowMs();
    return client::BuildSendRequest(p.header, p.body);
  }

  static Result<SendResult> ToResult(const PreparedSend& p, const MessageQueue& q, const remoting::Command& resp) {
    auto parsed = client::ParseSendResponse(resp);
    if (!parsed.ok()) return parsed.status();
    SendResult r;
    r.status = StatusOfCode(parsed->code);
    r.msg_id = p.msg_id;
    r.offset_msg_id = parsed->offset_msg_id;
    r.queue = q;
    r.queue.queue_id = parsed->queue_id;
    r.queue_offset = parsed->queue_offset;
    return r;
  }

  Expected<SendResult> SendSync(Result<PreparedSend> prepared, const MessageQueue* fixed, int attempts) {
    if (!prepared.ok()) return client::ToOutcome(prepared.status());
    PreparedSend& p = prepared.value();
    const int64_t deadline = NowMs() + static_cast<int64_t>(opt_.send_timeout_ms);
    std::string last_broker;
    Status last = Status::SystemError("send not attempted");
    for (int attempt = 0; attempt < attempts; ++attempt) {
      const int64_t left = deadline - NowMs();
      if (left <= 0) {
        last = Status::SystemError("send to topic " + p.header.topic + " timed out after " +
                                   std::to_string(opt_.send_timeout_ms) + " ms (last error: " + last.remark() + ")");
        break;
      }
      const MessageQueue q = fixed != nullptr ? *fixed : PickQueue(p.queues, last_broker);
      const std::string addr = AddrOf(p, q);
      if (addr.empty()) return client::ToOutcome(Status::SystemError("no master address for broker " + q.broker_name));
      auto resp = inst_->Invoke(addr, Request(p, q), static_cast<uint64_t>(left));
      last_broker = q.broker_name;
      if (!resp.ok()) {
        last = Status(resp.status().code(), "send to " + addr + " failed: " + resp.status().remark());
        continue;
      }
      auto result = ToResult(p, q, resp.value());
      if (result.ok()) return result.value();
      last = result.status();
      if (!Retryable(resp->code)) break;
    }
    return client::ToOutcome(last);
  }

  Expected<SendResult> Send(const Message& msg) {
    return SendSync(Prepare(msg), nullptr, 1 + std::max(0, opt_.retry_times_when_send_failed));
  }
  Expected<SendResult> SendTo(const Message& msg, const MessageQueue& q) {
    Status st = client::ValidateMessage(msg, opt_.max_message_bytes);
    if (!st.ok()) return client::ToOutcome(st);
    if (q.topic != msg.topic) return client::ToOutcome(Status(ResponseCode::kMessageIllegal, "queue topic differs"));
    return SendSync(Prepare(msg), &q, 1);
  }
  Expected<SendResult> SendSelect(const Message& msg, const QueueSelector& sel, const std::string& arg) {
    auto p = Prepare(msg);
    if (!p.ok()) return client::ToOutcome(p.status());
    const size_t idx = sel(p->queues, msg, arg);
    if (idx >= p->queues.size()) return client::ToOutcome(Status::SystemError("selector returned a bad index"));
    const MessageQueue q = p->queues[idx];
    return SendSync(std::move(p), &q, 1);
  }
  Expected<SendResult> SendBatch(const std::vector<Message>& msgs) {
    return SendSync(PrepareBatch(msgs), nullptr, 1 + std::max(0, opt_.retry_times_when_send_failed));
  }

  Outcome SendOneway(const Message& msg) {
    auto p = Prepare(msg);
    if (!p.ok()) return client::ToOutcome(p.status());
    const MessageQueue q = PickQueue(p->queues, "");
    const std::string addr = AddrOf(p.value(), q);
    if (addr.empty()) return Outcome::Fail("no master address for broker " + q.broker_name);
    inst_->InvokeOneway(addr, Request(p.value(), q));
    return Outcome::Ok();
  }

  void SendAsync(const Message& msg, SendCallback cb) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, std::chrono::milliseconds(opt_.send_timeout_ms),
                        [this] { return in_flight_ < opt_.max_async_in_flight; })) {
        lock.unlock();
        Deliver(std::move(cb), Outcome(2, "too many async sends in flight (" +
                                              std::to_string(opt_.max_async_in_flight) + "); slow down"), false);
        return;
      }
      ++in_flight_;
    }
    auto p = Prepare(msg);
    if (!p.ok()) {
      Deliver(std::move(cb), client::ToOutcome(p.status()), true);
      return;
    }
    auto state = std::make_shared<AsyncState>();
    state->send = std::move(p.value());
    state->cb = std::move(cb);
    state->deadline_ms = NowMs() + static_cast<int64_t>(opt_.send_timeout_ms);
    state->attempts_left = 1 + std::max(0, opt_.retry_times_when_send_async_failed);
    Attempt(state);
  }

 private:
  struct AsyncState {
    PreparedSend send;
    SendCallback cb;
    int64_t deadline_ms = 0;
    int attempts_left = 0;
    std::string last_broker;
  };

  void Attempt(const std::shared_ptr<AsyncState>& s) {
    const int64_t left = s->deadline_ms - NowMs();
    if (left <= 0 || s->attempts_left <= 0) {
      Deliver(std::move(s->cb), Outcome::Fail("async send to " + s->send.header.topic + " timed out"), true);
      return;
    }
    --s->attempts_left;
    const MessageQueue q = PickQueue(s->send.queues, s->last_broker);
    s->last_broker = q.broker_name;
    const std::string addr = AddrOf(s->send, q);
    inst_->InvokeAsync(addr, Request(s->send, q), static_cast<uint64_t>(left),
                       [this, s, q, addr](Result<remoting::Command> resp) {
                         if (!resp.ok()) {  // transport errors are retried on another broker
                           if (s->attempts_left > 0 && s->deadline_ms > NowMs()) {
                             Attempt(s);
                           } else {
                             Deliver(std::move(s->cb),
                                     Outcome(ToInt(resp.status().code()),
                                             "send to " + addr + " failed: " + resp.status().remark()),
                                     true);
                           }
                           return;
                         }
                         auto r = ToResult(s->send, q, resp.value());
                         if (r.ok()) {
                           Deliver(std::move(s->cb), r.value(), true);
                         } else {
                           Deliver(std::move(s->cb), client::ToOutcome(r.status()), true);
                         }
                       });
  }

  void Deliver(SendCallback cb, Expected<SendResult> result, bool counted) {
    auto task = [this, cb = std::move(cb), result = std::move(result), counted]() mutable {
      if (cb) cb(std::move(result));
      if (counted) {
        std::lock_guard<std::mutex> lock(mu_);
        --in_flight_;
        cv_.notify_all();
      }
    };
    if (!callbacks_->Submit(task)) task();  // only while stopping
  }

  ProducerOptions opt_;
  model::UniqKeyGenerator uniq_;
  std::atomic<uint32_t> counter_;
  std::shared_ptr<ClientInstance> inst_;
  std::unique_ptr<client::ThreadPool> callbacks_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint32_t in_flight_ = 0;
};

Producer::Producer(ProducerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Producer::~Producer() { impl_->Shutdown(); }
Outcome Producer::Start() { return impl_->Start(); }
void Producer::Shutdown() { impl_->Shutdown(); }
Expected<SendResult> Producer::Send(const Message& msg) { return impl_->Send(msg); }
Expected<SendResult> Producer::Send(const Message& msg, const MessageQueue& queue) { return impl_->SendTo(msg, queue); }
Expected<SendResult> Producer::Send(const Message& msg, const QueueSelector& selector, const std::string& arg) {
  return impl_->SendSelect(msg, selector, arg);
}
void Producer::SendAsync(const Message& msg, SendCallback callback) { impl_->SendAsync(msg, std::move(callback)); }
Outcome Producer::SendOneway(const Message& msg) { return impl_->SendOneway(msg); }
Expected<SendResult> Producer::SendBatch(const std::vector<Message>& msgs) { return impl_->SendBatch(msgs); }
Expected<std::vector<MessageQueue>> Producer::FetchPublishQueues(const std::string& topic) {
  auto r = impl_->PublishQueues(topic, nullptr);
  if (!r.ok()) return client::ToOutcome(r.status());
  return r.value();
}
const std::string& Producer::client_id() const { return impl_->client_id(); }

}  // namespace mq
