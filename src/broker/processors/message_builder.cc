#include "broker/processors/message_builder.h"

#include <algorithm>
#include <charconv>

#include "base/hash.h"
#include "model/batch.h"
#include "model/message_layout.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

namespace rc = remoting::RequestCode;

struct Names {
  const char* producer_group;
  const char* topic;
  const char* default_topic;
  const char* default_topic_queue_nums;
  const char* queue_id;
  const char* sys_flag;
  const char* born_timestamp;
  const char* flag;
  const char* properties;
  const char* reconsume_times;
  const char* unit_mode;
  const char* max_reconsume_times;
  const char* batch;
};
constexpr Names kLongNames{"producerGroup", "topic",    "defaultTopic",   "defaultTopicQueueNums", "queueId",
                           "sysFlag",       "bornTimestamp", "flag",      "properties",            "reconsumeTimes",
                           "unitMode",      "maxReconsumeTimes", "batch"};
constexpr Names kShortNames{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"};

Result<SendHeader> DecodeWith(const remoting::ExtFields& f, const Names& n, bool batch_by_code) {
  SendHeader h;
  auto group = f.GetString(n.producer_group);
  if (!group.ok()) return group.status();
  h.producer_group = std::move(group).value();
  auto topic = f.GetString(n.topic);
  if (!topic.ok()) return topic.status();
  h.topic = std::move(topic).value();
  auto def = f.GetString(n.default_topic);
  if (!def.ok()) return def.status();
  h.default_topic = std::move(def).value();
  auto def_nums = f.GetInt32(n.default_topic_queue_nums);
  if (!def_nums.ok()) return def_nums.status();
  h.default_topic_queue_nums = *def_nums;
  auto queue = f.GetInt32(n.queue_id);
  if (!queue.ok()) return queue.status();
  h.queue_id = *queue;
  auto sys_flag = f.GetInt32(n.sys_flag);
  if (!sys_flag.ok()) return sys_flag.status();
  h.sys_flag = *sys_flag;
  auto born = f.GetInt64(n.born_timestamp);
  if (!born.ok()) return born.status();
  h.born_timestamp_ms = *born;
  auto flag = f.GetInt32(n.flag);
  if (!flag.ok()) return flag.status();
  h.flag = *flag;
  if (const std::string* props = f.Find(n.properties)) h.properties = *props;
  auto reconsume = f.GetInt32Or(n.reconsume_times, 0);
  if (!reconsume.ok()) return reconsume.status();
  h.reconsume_times = *reconsume;
  h.unit_mode = f.GetBoolOr(n.unit_mode, false);
  h.batch = f.GetBoolOr(n.batch, false) || (batch_by_code && f.Find(n.batch) == nullptr);
  if (f.Find(n.max_reconsume_times) != nullptr) {
    auto max = f.GetInt32(n.max_reconsume_times);
    if (!max.ok()) return max.status();
    h.max_reconsume_times = *max;
  }
  return h;
}

int32_t ParseLevel(std::string_view text) {
  int32_t level = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), level);
  if (ec != std::errc() || ptr != text.data() + text.size()) return 0;
  return level;
}

bool IsTrue(std::optional<std::string_view> v) {
  if (!v || v->size() != 4) return false;
  std::string lower(*v);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "true";
}

model::MessageRecord BaseRecord(const SendHeader& h, const SendTarget& t, const BuildOptions& o) {
  model::MessageRecord r;
  r.topic = t.topic->topic_name;
  r.queue_id = t.queue_id;
  r.flag = h.flag;
  r.sys_flag = h.sys_flag;
  if (t.topic->topic_filter_type == TopicFilterType::kMultiTag) r.sys_flag |= model::sysflag::kMultiTags;
  r.born_timestamp_ms = h.born_timestamp_ms;
  r.born_host = o.born_host;
  r.store_host = o.store_host;
  r.reconsume_times = h.reconsume_times;
  return r;
}

Status PropertiesTooLong(size_t size) {
  return Status::Error(ResponseCode::kMessageIllegal,
                       "the message properties length " + std::to_string(size) + " is longer than " +
                           std::to_string(kMaxPropertiesBytes));
}

Result<BuiltSend> BuildBatch(const SendHeader& h, std::string_view body, const SendTarget& t, const BuildOptions& o) {
  model::MessageProperties header_props = model::MessageProperties::Parse(h.properties);
  if (model::GetTransactionType(h.sys_flag) != model::TransactionType::kNot ||
      IsTrue(header_props.Get(model::kTranMsg))) {
    return Status::Error(ResponseCode::kMessageIllegal, "batch message does not support transaction");
  }
  if (DelayLevelOf(header_props) > 0) {
    return Status::Error(ResponseCode::kMessageIllegal, "batch message does not support delay level");
  }
  if (IsRetryTopic(h.topic)) {
    return Status::Error(ResponseCode::kMessageIllegal, "batch message does not support retry group " + h.topic);
  }
  auto entries = model::DecodeBatch(reinterpret_cast<const uint8_t*>(body.data()), body.size(), kMaxBatchMessages);
  if (!entries.ok()) return entries.status();
  BuiltSend out;
  out.wait_store_ok = header_props.Get(model::kWait).value_or("true") != "false";
  out.response_queue_id = t.queue_id;
  // The batch-level properties keep WAIT (the reference appends them verbatim, plus CLUSTER).
  size_t max_size = header_props.size();
  header_props.Set(model::kCluster, o.cluster_name);
  const std::string batch_props = EncodeInJavaHashMapOrder(header_props, std::max(max_size, header_props.size()));
  const model::MessageRecord base = BaseRecord(h, t, o);
  out.records.reserve(entries->size());
  for (const model::BatchEntry& e : *entries) {
    const size_t props_size = model::AppendedBatchPropertiesSize(e.properties, batch_props);
    if (props_size > static_cast<size_t>(kMaxPropertiesBytes)) return PropertiesTooLong(props_size);
    model::MessageRecord r = base;
    r.flag = e.flag;
    r.body.assign(e.body);
    model::AppendBatchProperties(e.properties, batch_props, r.properties);
    out.records.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<SendHeader> DecodeSendHeader(const remoting::Command& request) {
  const bool long_names = request.code == rc::kSendMessage;
  const Names& first = long_names ? kLongNames : kShortNames;
  const Names& second = long_names ? kShortNames : kLongNames;
  const bool batch_by_code = request.code == rc::kSendBatchMessage;
  if (request.ext_fields.Find(first.topic) == nullptr && request.ext_fields.Find(second.topic) != nullptr) {
    return DecodeWith(request.ext_fields, second, batch_by_code);
  }
  return DecodeWith(request.ext_fields, first, batch_by_code);
}

Status ValidateSendRequest(const SendHeader& header, std::string_view body, int64_t max_message_size_bytes) {
  if (Status s = ValidateTopicName(header.topic); !s.ok()) return s;
  if (body.empty()) {
    return Status::Error(ResponseCode::kMessageIllegal, "the message body of topic[" + header.topic + "] is empty");
  }
  if (static_cast<int64_t>(body.size()) > max_message_size_bytes) {
    return Status::Error(ResponseCode::kMessageIllegal,
                         "the message body size " + std::to_string(body.size()) + " is larger than maxMessageSize " +
                             std::to_string(max_message_size_bytes));
  }
  if (header.properties.size() > static_cast<size_t>(kMaxPropertiesBytes)) {
    return PropertiesTooLong(header.properties.size());
  }
  return Status::Ok();
}

int32_t ResolveMaxReconsumeTimes(std::optional<int32_t> header_value, int32_t request_version,
                                 int32_t group_retry_max_times) {
  if (header_value && request_version >= kVersionHonoursMaxReconsume) return *header_value;
  return group_retry_max_times;
}

int32_t DelayLevelOf(const model::MessageProperties& props) {
  auto v = props.Get(model::kDelay);
  return v ? ParseLevel(*v) : 0;
}

std::string EncodeInJavaHashMapOrder(const model::MessageProperties& props, size_t max_size) {
  // java.util.HashMap: 16 buckets, doubled whenever the size exceeds 3/4 of them; a bucket is
  // (h ^ h >>> 16) & (n - 1) of String.hashCode; within a bucket insertion order survives resizes.
  uint64_t buckets = 16;
  max_size = std::max(max_size, props.size());
  while (max_size > buckets * 3 / 4 && buckets < (1u << 30)) buckets *= 2;
  struct Item {
    uint64_t bucket;
    size_t index;
  };
  std::vector<Item> order;
  order.reserve(props.size());
  for (size_t i = 0; i < props.entries().size(); ++i) {
    const uint32_t h = static_cast<uint32_t>(JavaStringHash(props.entries()[i].first));
    order.push_back({(h ^ (h >> 16)) & (buckets - 1), i});
  }
  std::stable_sort(order.begin(), order.end(), [](const Item& a, const Item& b) { return a.bucket < b.bucket; });
  model::MessageProperties sorted;
  for (const Item& it : order) sorted.Set(props.entries()[it.index].first, props.entries()[it.index].second);
  return sorted.Encode();
}

void RewriteForDelay(model::MessageRecord& record, model::MessageProperties& props, int32_t level) {
  props.Set(model::kRealTopic, record.topic);
  props.Set(model::kRealQid, std::to_string(record.queue_id));
  props.Set(model::kDelay, std::to_string(level));
  record.topic = std::string(kScheduleTopic);
  record.queue_id = level - 1;
}

Result<BuiltSend> BuildSendRecords(const SendHeader& h, std::string_view body, const SendTarget& t,
                                   const BuildOptions& o) {
  MQ_ASSERT(t.topic != nullptr);
  if (h.batch) return BuildBatch(h, body, t, o);

  model::MessageProperties props = model::MessageProperties::Parse(h.properties);
  size_t max_size = props.size();
  BuiltSend out;
  out.wait_store_ok = props.Get(model::kWait).value_or("true") != "false";
  out.response_queue_id = t.queue_id;
  props.Erase(model::kWait);
  props.Set(model::kCluster, o.cluster_name);

  model::MessageRecord r = BaseRecord(h, t, o);
  r.body.assign(body);
  if (!t.dlq_topic.empty()) {
    r.topic = t.dlq_topic;
    r.queue_id = 0;
    props.Erase(model::kDelay);
  }
  const model::TransactionType tran = model::GetTransactionType(r.sys_flag);
  if (IsTrue(props.Get(model::kTranMsg))) {
    if (o.reject_transaction_message) {
      return Status::Error(ResponseCode::kNoPermission,
                           "the broker sending transaction message is forbidden (rejectTransactionMessage)");
    }
    // 7.9: the half message waits in RMQ_SYS_TRANS_HALF_TOPIC queue 0 as a normal message.
    props.Set(model::kRealTopic, r.topic);
    props.Set(model::kRealQid, std::to_string(r.queue_id));
    r.topic = std::string(kTransHalfTopicName);
    r.queue_id = 0;
    r.sys_flag = model::WithTransactionType(r.sys_flag, model::TransactionType::kNot);
  } else if ((tran == model::TransactionType::kNot || tran == model::TransactionType::kCommit) &&
             o.delay_level_count > 0) {
    const int32_t level = DelayLevelOf(props);
    if (level > 0) {
      RewriteForDelay(r, props, std::min<int32_t>(level, static_cast<int32_t>(o.delay_level_count)));
    }
  }
  r.properties = EncodeInJavaHashMapOrder(props, std::max(max_size, props.size()));
  if (r.properties.size() > static_cast<size_t>(kMaxPropertiesBytes)) return PropertiesTooLong(r.properties.size());
  out.records.push_back(std::move(r));
  return out;
}

}  // namespace mq::broker
