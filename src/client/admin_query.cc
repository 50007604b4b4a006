// Admin: consumer progress, message queries (by key, id, offset) and offset reset (spec 3.4, 3.5, 7.11).
#include <map>

#include "client/admin_impl.h"
#include "client/message_codec.h"
#include "client/protocol.h"
#include "client/rebalance.h"
#include "model/message_id.h"
#include "remoting/fastjson.h"
#include "remoting/request_code.h"

namespace mq {
namespace {
namespace rc = remoting::RequestCode;
using remoting::Command;
}  // namespace

// fastjson writes maps keyed by MessageQueue with the key object itself as the key:
// {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{...},...}} which no JSON parser takes.
// Keys and values are flat objects, so matching braces outside strings splits them.
Result<std::vector<std::pair<MessageQueue, std::string>>> ParseQueueKeyedTable(std::string_view body) {
  std::vector<std::pair<MessageQueue, std::string>> out;
  const size_t start = body.find("\"offsetTable\"");
  if (start == std::string_view::npos) return out;
  size_t pos = body.find('{', start);
  if (pos == std::string_view::npos) return out;
  ++pos;
  auto object_end = [&](size_t from) -> size_t {  // index after the '}' closing the '{' at from
    bool in_str = false;
    int depth = 0;
    for (size_t i = from; i < body.size(); ++i) {
      const char c = body[i];
      if (in_str) {
        if (c == '\\') ++i;
        else if (c == '"') in_str = false;
      } else if (c == '"') {
        in_str = true;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        return i + 1;
      }
    }
    return std::string_view::npos;
  };
  while (pos < body.size()) {
    while (pos < body.size() && (body[pos] == ',' || body[pos] == ' ')) ++pos;
    if (pos >= body.size() || body[pos] != '{') break;
    const size_t key_end = object_end(pos);
    if (key_end == std::string_view::npos || key_end >= body.size() || body[key_end] != ':') {
      return Status::SystemError("malformed offsetTable");
    }
    const size_t val_end = object_end(key_end + 1);
    if (val_end == std::string_view::npos) return Status::SystemError("malformed offsetTable value");
    rapidjson::Document key;
    if (!remoting::ParseFastjson(body.substr(pos, key_end - pos), key).ok()) {
      return Status::SystemError("malformed offsetTable key");
    }
    MessageQueue mq;
    mq.topic = remoting::GetStringMember(key, "topic", "").value();
    mq.broker_name = remoting::GetStringMember(key, "brokerName", "").value();
    auto qid = remoting::GetInt32Member(key, "queueId", 0);
    mq.queue_id = qid.ok() ? qid.value() : 0;
    out.emplace_back(std::move(mq), std::string(body.substr(key_end + 1, val_end - key_end - 1)));
    pos = val_end;
  }
  return out;
}

static int64_t Int64Of(const rapidjson::Value& v, const char* name) {
  auto r = remoting::GetInt64Member(v, name, 0);
  return r.ok() ? r.value() : 0;
}

Expected<std::vector<QueueProgress>> Admin::ConsumerProgress(const std::string& group, const std::string& topic) {
  if (!impl_->inst_) return Outcome::Fail("admin is not started");
  auto masters = impl_->TopicMasters(topic);
  if (!masters.ok()) return client::ToOutcome(masters.status());
  std::vector<QueueProgress> out;
  for (const auto& [name, addr] : masters.value()) {
    Command req = Command::Request(rc::kGetConsumeStats);
    req.ext_fields.Set("consumerGroup", group);
    req.ext_fields.Set("topic", topic);
    auto r = impl_->Call(addr, std::move(req));
    if (r.ok() && r->code == 0) {
      auto table = ParseQueueKeyedTable(r->body);
      if (!table.ok()) return client::ToOutcome(table.status());
      for (const auto& [mq, value] : table.value()) {
        rapidjson::Document v;
        if (!remoting::ParseFastjson(value, v).ok()) continue;
        out.push_back({mq, Int64Of(v, "brokerOffset"), Int64Of(v, "consumerOffset")});
      }
      continue;
    }
    // Brokers without GET_CONSUME_STATS: ask queue by queue.
    auto route = impl_->inst_->CachedRoute(topic);
    if (!route) continue;
    auto store = client::MakeRemoteOffsetStore(impl_->inst_, group);
    for (const auto& mq : client::SubscribeQueues(topic, *route)) {
      if (mq.broker_name != name) continue;
      QueueProgress p{mq, 0, 0};
      auto max = client::QueryQueueOffset(*impl_->inst_, mq, true);
      if (max.ok()) p.broker_offset = max.value();
      auto committed = store->ReadStored(mq);
      if (committed.ok() && committed.value() > 0) p.consumer_offset = committed.value();
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end(), [](const QueueProgress& a, const QueueProgress& b) { return a.queue < b.queue; });
  return out;
}

Expected<std::vector<MessageExt>> Admin::QueryMsgByKey(const std::string& topic, const std::string& key,
                                                       int32_t max_num) {
  if (!impl_->inst_) return Outcome::Fail("admin is not started");
  auto masters = impl_->TopicMasters(topic);
  if (!masters.ok()) return client::ToOutcome(masters.status());
  std::vector<MessageExt> out;
  for (const auto& [name, addr] : masters.value()) {
    Command req = Command::Request(rc::kQueryMessage);
    req.ext_fields.Set("topic", topic);
    req.ext_fields.Set("key", key);
    req.ext_fields.Set("maxNum", std::to_string(max_num));
    req.ext_fields.Set("beginTimestamp", "0");
    req.ext_fields.Set("endTimestamp", std::to_string(INT64_MAX));
    req.ext_fields.Set("_UNIQUE_KEY_QUERY", "false");
    auto r = impl_->Call(addr, std::move(req));
    if (!r.ok()) return client::ToOutcome(r.status());
    if (r->code == ToInt(ResponseCode::kQueryNotFound)) continue;
    if (r->code != 0) return client::ToOutcome(client::ResponseError(r.value(), "QUERY_MESSAGE"));
    auto msgs = client::DecodeMessages(r->body, name);
    if (!msgs.ok()) return client::ToOutcome(msgs.status());
    for (auto& m : msgs.value()) {
      // The index matches hashes; keep only messages really carrying the key.
      bool has = false;
      size_t p = 0;
      while (p <= m.keys.size()) {
        size_t sp = m.keys.find(' ', p);
        if (sp == std::string::npos) sp = m.keys.size();
        if (m.keys.compare(p, sp - p, key) == 0) has = true;
        p = sp + 1;
      }
      if (has || m.msg_id == key) out.push_back(std::move(m));
    }
  }
  return out;
}

Expected<MessageExt> Admin::QueryMsgById(const std::string& topic, const std::string& msg_id) {
  if (!impl_->inst_) return Outcome::Fail("admin is not started");
  auto decoded = model::DecodeOffsetMsgId(msg_id);
  if (decoded.ok()) {
    Command req = Command::Request(rc::kViewMessageById);
    req.ext_fields.Set("offset", std::to_string(decoded->commit_log_offset));
    auto r = impl_->Call(decoded->address(), std::move(req));
    if (r.ok() && r->code == 0) {
      std::vector<client::UndecodableMessage> bad;
      auto msgs = client::DecodeMessages(r->body, "", &bad);
      if (msgs.ok() && !msgs->empty()) return msgs->front();
      if (!bad.empty()) return client::ToOutcome(bad.front().status);
    }
  }
  if (topic.empty()) return Outcome::Fail("message " + msg_id + " not found (give the topic to search by UNIQ_KEY)");
  auto masters = impl_->TopicMasters(topic);
  if (!masters.ok()) return client::ToOutcome(masters.status());
  for (const auto& [name, addr] : masters.value()) {
    Command req = Command::Request(rc::kQueryMessage);
    req.ext_fields.Set("topic", topic);
    req.ext_fields.Set("key", msg_id);
    req.ext_fields.Set("maxNum", "32");
    req.ext_fields.Set("beginTimestamp", "0");
    req.ext_fields.Set("endTimestamp", std::to_string(INT64_MAX));
    req.ext_fields.Set("_UNIQUE_KEY_QUERY", "true");
    auto r = impl_->Call(addr, std::move(req));
    if (!r.ok() || r->code != 0) continue;
    auto msgs = client::DecodeMessages(r->body, name);
    if (!msgs.ok()) continue;
    for (auto& m : msgs.value()) {
      if (m.msg_id == msg_id) return m;
    }
  }
  return Outcome(ToInt(ResponseCode::kQueryNotFound), "message " + msg_id + " not found in topic " + topic);
}

Expected<MessageExt> Admin::QueryMsgByOffset(const MessageQueue& mq, int64_t offset) {
  if (!impl_->inst_) return Outcome::Fail("admin is not started");
  (void)impl_->inst_->Route(mq.topic);
  const std::string addr = impl_->inst_->BrokerAddr(mq.broker_name, false);
  if (addr.empty()) return Outcome::Fail("no address for broker " + mq.broker_name);
  client::PullHeader h;
  h.consumer_group = "TOOLS_CONSUMER";
  h.topic = mq.topic;
  h.queue_id = mq.queue_id;
  h.queue_offset = offset;
  h.max_msg_nums = 1;
  h.sys_flag = client::kPullSubscription;
  h.subscription = "*";
  h.suspend_timeout_ms = 0;
  h.broker_name = mq.broker_name;
  auto r = impl_->Call(addr, client::BuildPullRequest(h));
  if (!r.ok()) return client::ToOutcome(r.status());
  auto pulled = client::ParsePullResponse(std::move(r.value()));
  if (!pulled.ok()) return client::ToOutcome(pulled.status());
  if (pulled->code != 0) {
    return Outcome(ToInt(ResponseCode::kQueryNotFound), "no message at offset " + std::to_string(offset) + " of " +
                                                            mq.ToString() + " (max offset " +
                                                            std::to_string(pulled->max_offset) + ")");
  }
  std::vector<client::UndecodableMessage> bad;
  auto msgs = client::DecodeMessages(pulled->body, mq.broker_name, &bad);
  if (!msgs.ok()) return client::ToOutcome(msgs.status());
  if (!bad.empty() && (msgs->empty() || bad.front().message.queue_offset < msgs->front().queue_offset)) {
    return client::ToOutcome(bad.front().status);  // the message asked for is there but unreadable
  }
  if (msgs->empty()) return Outcome(ToInt(ResponseCode::kQueryNotFound), "no message");
  return msgs->front();
}

// mqadmin's way for a group with no consumer online (the broker answers CONSUMER_NOT_ONLINE):
// read the group's queues and offsets (GET_CONSUME_STATS), search each queue's offset for the time
// and write it with UPDATE_CONSUMER_OFFSET when forced or when it moves the offset back.
static Outcome ResetOfflineGroup(Admin& admin, Admin::Impl& impl, const std::string& group, const std::string& topic,
                                 const std::pair<std::string, std::string>& broker, int64_t timestamp_ms, bool force) {
  auto progress = admin.ConsumerProgress(group, topic);
  if (!progress.ok()) return progress.error();
  for (const auto& p : progress.value()) {
    if (p.queue.broker_name != broker.first) continue;
    auto target = timestamp_ms < 0 ? client::QueryQueueOffset(*impl.inst_, p.queue, true)
                                    : client::SearchOffsetByTime(*impl.inst_, p.queue, timestamp_ms);
    if (!target.ok()) return client::ToOutcome(target.status());
    if (!force && target.value() >= p.consumer_offset) continue;
    auto r = impl.Call(broker.second, client::BuildUpdateConsumerOffset(group, p.queue, target.value()));
    if (!r.ok()) return client::ToOutcome(r.status());
    if (r->code != 0) return client::ToOutcome(client::ResponseError(r.value(), "UPDATE_CONSUMER_OFFSET"));
  }
  return Outcome::Ok();
}

Outcome Admin::ResetOffsetByTime(const std::string& group, const std::string& topic, int64_t timestamp_ms,
                                 bool force) {
  if (!impl_->inst_) return Outcome::Fail("admin is not started");
  auto masters = impl_->TopicMasters(topic);
  if (!masters.ok()) return client::ToOutcome(masters.status());
  for (const auto& [name, addr] : masters.value()) {
    Command req = Command::Request(rc::kInvokeBrokerToResetOffset);
    req.ext_fields.Set("topic", topic);
    req.ext_fields.Set("group", group);
    req.ext_fields.Set("timestamp", std::to_string(timestamp_ms));
    req.ext_fields.Set("isForce", force ? "true" : "false");
    auto r = impl_->Call(addr, std::move(req));
    if (!r.ok()) return client::ToOutcome(r.status());
    if (r->code == static_cast<int32_t>(ResponseCode::kConsumerNotOnline)) {
      // Nobody of the group is online to be told: rewrite the committed offsets directly, as
      // mqadmin does in that case.
      if (Outcome o = ResetOfflineGroup(*this, *impl_, group, topic, {name, addr}, timestamp_ms, force); !o.ok()) {
        return o;
      }
      continue;
    }
    if (r->code != 0) return client::ToOutcome(client::ResponseError(r.value(), "INVOKE_BROKER_TO_RESET_OFFSET"));
  }
  return Outcome::Ok();
}

}  // namespace mq
