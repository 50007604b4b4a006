#include "broker/client/lock_manager.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "remoting/fastjson.h"

namespace mq::broker {
namespace {

Result<std::vector<MessageQueue>> ParseQueueArray(const rapidjson::Value& obj, std::string_view member) {
  std::vector<MessageQueue> out;
  const rapidjson::Value* arr = remoting::FindMember(obj, member);
  if (arr == nullptr || arr->IsNull()) return out;
  if (!arr->IsArray()) return Status::SystemError(std::string(member) + " is not an array");
  if (arr->Size() > kMaxLockBatchQueues) return Status::SystemError("too many queues in " + std::string(member));
  out.reserve(arr->Size());
  for (const auto& q : arr->GetArray()) {
    if (!q.IsObject()) return Status::SystemError("a message queue is not an object");
    auto topic = remoting::GetStringMember(q, "topic", "");
    if (!topic.ok()) return topic.status();
    auto broker = remoting::GetStringMember(q, "brokerName", "");
    if (!broker.ok()) return broker.status();
    auto qid = remoting::GetInt32Member(q, "queueId", 0);
    if (!qid.ok()) return qid.status();
    if (topic->empty()) return Status::SystemError("a message queue without topic");
    MessageQueue mq{std::move(topic).value(), std::move(broker).value(), *qid};
    if (std::find(out.begin(), out.end(), mq) == out.end()) out.push_back(std::move(mq));
  }
  return out;
}

void AppendQueueArray(std::string& out, const std::vector<MessageQueue>& mqs) {
  out += '[';
  for (size_t i = 0; i < mqs.size(); ++i) {
    if (i) out += ',';
    AppendMessageQueueJson(out, mqs[i]);
  }
  out += ']';
}

}  // namespace

void AppendMessageQueueJson(std::string& out, const MessageQueue& mq) {
  out += "{\"brokerName\":";
  remoting::AppendJsonString(out, mq.broker_name);
  out += ",\"queueId\":" + std::to_string(mq.queue_id) + ",\"topic\":";
  remoting::AppendJsonString(out, mq.topic);
  out += '}';
}

Result<LockBatchRequest> ParseLockBatchRequest(std::string_view body) {
  rapidjson::Document doc;
  if (auto st = remoting::ParseFastjson(body, doc); !st.ok()) return st;
  if (!doc.IsObject()) return Status::SystemError("lock batch body is not a JSON object");
  LockBatchRequest out;
  auto group = remoting::GetStringMember(doc, "consumerGroup", "");
  if (!group.ok()) return group.status();
  auto client = remoting::GetStringMember(doc, "clientId", "");
  if (!client.ok()) return client.status();
  if (group->empty() || client->empty()) {
    return Status::SystemError("lock batch body without consumerGroup or clientId");
  }
  auto mqs = ParseQueueArray(doc, "mqSet");
  if (!mqs.ok()) return mqs.status();
  out.consumer_group = std::move(group).value();
  out.client_id = std::move(client).value();
  out.mqs = std::move(mqs).value();
  return out;
}

std::string EncodeLockBatchRequest(const LockBatchRequest& request) {
  std::string out = "{\"clientId\":";
  remoting::AppendJsonString(out, request.client_id);
  out += ",\"consumerGroup\":";
  remoting::AppendJsonString(out, request.consumer_group);
  out += ",\"mqSet\":";
  AppendQueueArray(out, request.mqs);
  out += '}';
  return out;
}

std::string EncodeLockBatchResponse(const std::vector<MessageQueue>& locked) {
  std::string out = "{\"lockOKMQSet\":";
  AppendQueueArray(out, locked);
  out += '}';
  return out;
}

Result<std::vector<MessageQueue>> ParseLockBatchResponse(std::string_view body) {
  rapidjson::Document doc;
  if (auto st = remoting::ParseFastjson(body, doc); !st.ok()) return st;
  return ParseQueueArray(doc, "lockOKMQSet");
}

std::vector<MessageQueue> LockManager::TryLockBatch(const std::string& group, const std::vector<MessageQueue>& mqs,
                                                    const std::string& client_id, int64_t now_ms) {
  std::vector<MessageQueue> granted;
  auto& locks = groups_[group];
  for (const auto& mq : mqs) {
    auto [it, fresh] = locks.try_emplace(mq, Entry{client_id, now_ms});
    Entry& e = it->second;
    if (fresh || e.client_id == client_id || Expired(e, now_ms)) {
      e.client_id = client_id;
      e.last_update_ms = now_ms;
      granted.push_back(mq);
    }
  }
  if (locks.empty()) groups_.erase(group);
  return granted;
}

void LockManager::UnlockBatch(const std::string& group, const std::vector<MessageQueue>& mqs,
                              const std::string& client_id) {
  auto g = groups_.find(group);
  if (g == groups_.end()) return;
  for (const auto& mq : mqs) {
    auto it = g->second.find(mq);
    if (it != g->second.end() && it->second.client_id == client_id) g->second.erase(it);
  }
  if (g->second.empty()) groups_.erase(g);
}

bool LockManager::IsLocked(const std::string& group, const MessageQueue& mq, const std::string& client_id,
                           int64_t now_ms) const {
  auto g = groups_.find(group);
  if (g == groups_.end()) return false;
  auto it = g->second.find(mq);
  return it != g->second.end() && it->second.client_id == client_id && !Expired(it->second, now_ms);
}

size_t LockManager::PurgeExpired(int64_t now_ms) {
  size_t purged = 0;
  for (auto g = groups_.begin(); g != groups_.end();) {
    for (auto it = g->second.begin(); it != g->second.end();) {
      if (Expired(it->second, now_ms)) {
        it = g->second.erase(it);
        ++purged;
      } else {
        ++it;
      }
    }
    g = g->second.empty() ? groups_.erase(g) : std::next(g);
  }
  return purged;
}

size_t LockManager::size() const {
  size_t n = 0;
  for (const auto& [group, locks] : groups_) n += locks.size();
  return n;
}

}  // namespace mq::broker
