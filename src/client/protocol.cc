// Field names and orders follow the Java 4.9.8 header classes as captured in fixtures/java-4.9.8.
#include "client/protocol.h"

#include <algorithm>
#include <string>

#include "base/hash.h"
#include "remoting/fastjson.h"
#include "remoting/request_code.h"

namespace mq::client {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

const char* Bool(bool b) { return b ? "true" : "false"; }

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

Result<int64_t> RequiredInt64(const Command& response, std::string_view key) {
  return response.ext_fields.GetInt64(key);
}

}  // namespace

Status ResponseError(const Command& response, std::string_view what) {
  std::string remark(what);
  remark += " failed: ";
  remark += ResponseCodeName(response.code);
  remark += "(" + std::to_string(response.code) + ")";
  if (response.remark.has_value() && !response.remark->empty()) remark += " " + *response.remark;
  return Status(static_cast<ResponseCode>(response.code == 0 ? 1 : response.code), std::move(remark));
}

Command BuildSendRequest(const SendHeader& h, std::string body) {
  Command cmd = Command::Request(h.batch ? rc::kSendBatchMessage : rc::kSendMessageV2);
  auto& f = cmd.ext_fields;
  f.Set("a", h.producer_group);
  f.Set("b", h.topic);
  f.Set("c", h.default_topic);
  f.Set("d", std::to_string(h.default_topic_queue_nums));
  f.Set("e", std::to_string(h.queue_id));
  f.Set("f", std::to_string(h.sys_flag));
  f.Set("g", std::to_string(h.born_timestamp_ms));
  f.Set("h", std::to_string(h.flag));
  f.Set("i", h.properties);
  f.Set("j", std::to_string(h.reconsume_times));
  f.Set("k", Bool(h.unit_mode));
  if (h.max_reconsume_times.has_value()) f.Set("l", std::to_string(*h.max_reconsume_times));
  f.Set("m", Bool(h.batch));
  if (!h.broker_name.empty()) f.Set("n", h.broker_name);
  cmd.body = std::move(body);
  return cmd;
}

Result<SendResponse> ParseSendResponse(const Command& response) {
  const int32_t code = response.code;
  if (code != 0 && code != 10 && code != 11 && code != 12) return ResponseError(response, "send");
  SendResponse out;
  out.code = code;
  auto msg_id = response.ext_fields.GetString("msgId");
  if (!msg_id.ok()) return msg_id.status();
  out.offset_msg_id = std::move(msg_id.value());
  auto qid = response.ext_fields.GetInt32("queueId");
  if (!qid.ok()) return qid.status();
  out.queue_id = qid.value();
  auto qoff = RequiredInt64(response, "queueOffset");
  if (!qoff.ok()) return qoff.status();
  out.queue_offset = qoff.value();
  return out;
}

Command BuildPullRequest(const PullHeader& h) {
  Command cmd = Command::Request(rc::kPullMessage);
  auto& f = cmd.ext_fields;
  f.Set("consumerGroup", h.consumer_group);
  f.Set("topic", h.topic);
  f.Set("queueId", std::to_string(h.queue_id));
  f.Set("queueOffset", std::to_string(h.queue_offset));
  f.Set("maxMsgNums", std::to_string(h.max_msg_nums));
  f.Set("sysFlag", std::to_string(h.sys_flag));
  f.Set("commitOffset", std::to_string(h.commit_offset));
  f.Set("suspendTimeoutMillis", std::to_string(h.suspend_timeout_ms));
  if (h.subscription.has_value()) f.Set("subscription", *h.subscription);
  f.Set("subVersion", std::to_string(h.sub_version));
  f.Set("expressionType", h.expression_type);
  if (!h.broker_name.empty()) f.Set("bname", h.broker_name);
  return cmd;
}

Result<PullResponse> ParsePullResponse(Command&& response) {
  const int32_t code = response.code;
  if (code != 0 && code != 19 && code != 20 && code != 21) return ResponseError(response, "pull");
  PullResponse out;
  out.code = code;
  auto next = RequiredInt64(response, "nextBeginOffset");
  auto min = RequiredInt64(response, "minOffset");
  auto max = RequiredInt64(response, "maxOffset");
  if (!next.ok()) return next.status();
  if (!min.ok()) return min.status();
  if (!max.ok()) return max.status();
  out.next_begin_offset = next.value();
  out.min_offset = min.value();
  out.max_offset = max.value();
  out.suggest_which_broker_id = response.ext_fields.GetInt64Or("suggestWhichBrokerId", 0).ok()
                                    ? response.ext_fields.GetInt64Or("suggestWhichBrokerId", 0).value()
                                    : 0;
  out.body = std::move(response.body);
  return out;
}

Command BuildQueryConsumerOffset(const std::string& group, const MessageQueue& mq) {
  Command cmd = Command::Request(rc::kQueryConsumerOffset);
  cmd.ext_fields.Set("consumerGroup", group);
  cmd.ext_fields.Set("topic", mq.topic);
  cmd.ext_fields.Set("queueId", std::to_string(mq.queue_id));
  cmd.ext_fields.Set("bname", mq.broker_name);
  return cmd;
}

Command BuildUpdateConsumerOffset(const std::string& group, const MessageQueue& mq, int64_t offset) {
  Command cmd = Command::Request(rc::kUpdateConsumerOffset);
  cmd.ext_fields.Set("consumerGroup", group);
  cmd.ext_fields.Set("topic", mq.topic);
  cmd.ext_fields.Set("queueId", std::to_string(mq.queue_id));
  cmd.ext_fields.Set("commitOffset", std::to_string(offset));
  cmd.ext_fields.Set("bname", mq.broker_name);
  return cmd;
}

static Command QueueRequest(int32_t code, const MessageQueue& mq) {
  Command cmd = Command::Request(code);
  cmd.ext_fields.Set("topic", mq.topic);
  cmd.ext_fields.Set("queueId", std::to_string(mq.queue_id));
  cmd.ext_fields.Set("bname", mq.broker_name);
  return cmd;
}

Command BuildGetMaxOffset(const MessageQueue& mq) { return QueueRequest(rc::kGetMaxOffset, mq); }
Command BuildGetMinOffset(const MessageQueue& mq) { return QueueRequest(rc::kGetMinOffset, mq); }
Command BuildSearchOffset(const MessageQueue& mq, int64_t timestamp_ms) {
  Command cmd = Command::Request(rc::kSearchOffsetByTimestamp);
  cmd.ext_fields.Set("topic", mq.topic);
  cmd.ext_fields.Set("queueId", std::to_string(mq.queue_id));
  cmd.ext_fields.Set("timestamp", std::to_string(timestamp_ms));
  cmd.ext_fields.Set("bname", mq.broker_name);
  return cmd;
}

Result<int64_t> ParseOffsetResponse(const Command& response) {
  if (response.code != 0) return ResponseError(response, "offset query");
  return RequiredInt64(response, "offset");
}

Command BuildGetConsumerList(const std::string& group) {
  Command cmd = Command::Request(rc::kGetConsumerListByGroup);
  cmd.ext_fields.Set("consumerGroup", group);
  return cmd;
}

Result<std::vector<std::string>> ParseConsumerIdList(const Command& response) {
  if (response.code != 0) return ResponseError(response, "GET_CONSUMER_LIST_BY_GROUP");
  rapidjson::Document doc;
  Status st = remoting::ParseFastjson(response.body, doc);
  if (!st.ok()) return st;
  std::vector<std::string> ids;
  const auto* list = remoting::FindMember(doc, "consumerIdList");
  if (list != nullptr && list->IsArray()) {
    for (const auto& v : list->GetArray()) {
      if (v.IsString()) ids.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  return ids;
}

Command BuildUnregisterClient(const std::string& client_id, const std::string& producer_group,
                              const std::string& consumer_group) {
  Command cmd = Command::Request(rc::kUnregisterClient);
  cmd.ext_fields.Set("clientID", client_id);
  if (!producer_group.empty()) cmd.ext_fields.Set("producerGroup", producer_group);
  if (!consumer_group.empty()) cmd.ext_fields.Set("consumerGroup", consumer_group);
  return cmd;
}

Command BuildConsumerSendMsgBack(const SendBackHeader& h) {
  Command cmd = Command::Request(rc::kConsumerSendMsgBack);
  auto& f = cmd.ext_fields;
  f.Set("offset", std::to_string(h.offset));
  f.Set("group", h.group);
  f.Set("delayLevel", std::to_string(h.delay_level));
  if (!h.origin_msg_id.empty()) f.Set("originMsgId", h.origin_msg_id);
  if (!h.origin_topic.empty()) f.Set("originTopic", h.origin_topic);
  f.Set("unitMode", "false");
  f.Set("maxReconsumeTimes", std::to_string(h.max_reconsume_times));
  if (!h.broker_name.empty()) f.Set("bname", h.broker_name);
  return cmd;
}

std::vector<std::string> ParseTagExpression(std::string_view expression) {
  std::vector<std::string> tags;
  const std::string all = Trim(expression);
  if (all.empty() || all == "*") return tags;
  size_t pos = 0;
  while (pos <= expression.size()) {
    size_t bar = expression.find("||", pos);
    if (bar == std::string_view::npos) bar = expression.size();
    std::string tag = Trim(expression.substr(pos, bar - pos));
    if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(std::move(tag));
    pos = bar + 2;
  }
  return tags;
}

void AppendSubscriptionJson(std::string& out, const SubscriptionData& s) {
  out += "{\"classFilterMode\":false,\"codeSet\":[";
  for (size_t k = 0; k < s.tags.size(); ++k) {
    if (k > 0) out += ',';
    out += std::to_string(JavaStringHash(s.tags[k]));
  }
  out += "],\"expressionType\":\"TAG\",\"subString\":";
  remoting::AppendJsonString(out, s.sub_string);
  out += ",\"subVersion\":" + std::to_string(s.sub_version) + ",\"tagsSet\":[";
  for (size_t k = 0; k < s.tags.size(); ++k) {
    if (k > 0) out += ',';
    remoting::AppendJsonString(out, s.tags[k]);
  }
  out += "],\"topic\":";
  remoting::AppendJsonString(out, s.topic);
  out += '}';
}

std::string EncodeHeartbeat(const HeartbeatData& data) {
  std::string out = "{\"clientID\":";
  remoting::AppendJsonString(out, data.client_id);
  out += ",\"consumerDataSet\":[";
  for (size_t i = 0; i < data.consumers.size(); ++i) {
    const ConsumerData& c = data.consumers[i];
    if (i > 0) out += ',';
    out += "{\"consumeFromWhere\":\"" + c.consume_from_where + "\"";
    out += std::string(",\"consumeType\":\"") + (c.push ? "CONSUME_PASSIVELY" : "CONSUME_ACTIVELY") + "\"";
    out += ",\"groupName\":";
    remoting::AppendJsonString(out, c.group);
    out += std::string(",\"messageModel\":\"") + (c.clustering ? "CLUSTERING" : "BROADCASTING") + "\"";
    out += ",\"subscriptionDataSet\":[";
    for (size_t j = 0; j < c.subscriptions.size(); ++j) {
      if (j > 0) out += ',';
      AppendSubscriptionJson(out, c.subscriptions[j]);
    }
    out += "],\"unitMode\":false}";
  }
  out += "],\"producerDataSet\":[";
  for (size_t i = 0; i < data.producer_groups.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"groupName\":";
    remoting::AppendJsonString(out, data.producer_groups[i]);
    out += '}';
  }
  out += "]}";
  return out;
}

Command BuildHeartbeat(const HeartbeatData& data) {
  Command cmd = Command::Request(rc::kHeartBeat);
  cmd.ext_fields_member = false;  // Java sends no extFields member for header-less requests
  cmd.body = EncodeHeartbeat(data);
  return cmd;
}

void AppendMessageQueueJson(std::string& out, const MessageQueue& mq) {
  out += "{\"brokerName\":";
  remoting::AppendJsonString(out, mq.broker_name);
  out += ",\"queueId\":" + std::to_string(mq.queue_id) + ",\"topic\":";
  remoting::AppendJsonString(out, mq.topic);
  out += '}';
}

std::string EncodeLockBatchBody(const std::string& client_id, const std::string& group,
                                const std::vector<MessageQueue>& queues) {
  std::string out = "{\"clientId\":";
  remoting::AppendJsonString(out, client_id);
  out += ",\"consumerGroup\":";
  remoting::AppendJsonString(out, group);
  out += ",\"mqSet\":[";
  for (size_t i = 0; i < queues.size(); ++i) {
    if (i > 0) out += ',';
    AppendMessageQueueJson(out, queues[i]);
  }
  out += "]}";
  return out;
}

Result<std::vector<MessageQueue>> ParseLockBatchResponse(std::string_view body) {
  rapidjson::Document doc;
  Status st = remoting::ParseFastjson(body, doc);
  if (!st.ok()) return st;
  std::vector<MessageQueue> out;
  const auto* set = remoting::FindMember(doc, "lockOKMQSet");
  if (set == nullptr || !set->IsArray()) return out;
  for (const auto& v : set->GetArray()) {
    MessageQueue mq;
    auto topic = remoting::GetStringMember(v, "topic", "");
    auto broker = remoting::GetStringMember(v, "brokerName", "");
    auto qid = remoting::GetInt32Member(v, "queueId", 0);
    if (!topic.ok() || !broker.ok() || !qid.ok()) return Status::SystemError("bad lockOKMQSet entry");
    mq.topic = topic.value();
    mq.broker_name = broker.value();
    mq.queue_id = qid.value();
    out.push_back(std::move(mq));
  }
  return out;
}

}  // namespace mq::client
