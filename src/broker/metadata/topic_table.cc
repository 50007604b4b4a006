#include "broker/metadata/topic_table.h"

#include <algorithm>

#include "base/log.h"
#include "remoting/fastjson.h"

namespace mq::broker {

TopicTable::TopicTable(const BrokerConfig& config, std::string topics_json_path, Clock clock)
    : config_(config), path_(std::move(topics_json_path)), clock_(std::move(clock)) {
  data_version_.timestamp_ms = clock_();
  DefineSystemTopics();
  Changed();
}

void TopicTable::PutSystem(std::string_view name, int32_t queue_nums, int32_t perm) {
  TopicConfig c;
  c.topic_name = std::string(name);
  c.read_queue_nums = queue_nums;
  c.write_queue_nums = queue_nums;
  c.perm = perm;
  topics_.insert_or_assign(c.topic_name, std::move(c));
}

void TopicTable::DefineSystemTopics() {
  constexpr int32_t kRw = kPermRead | kPermWrite;
  PutSystem(kSelfTestTopic, 1, kRw);
  if (config_.auto_create_topic_enable) {
    PutSystem(kAutoCreateTopicKey, static_cast<int32_t>(config_.default_topic_queue_nums), kRw | kPermInherit);
  }
  PutSystem(kBenchmarkTopic, 1024, kRw);
  PutSystem(config_.broker_cluster_name, 16, kPermInherit | (config_.cluster_topic_enable ? kRw : 0));
  PutSystem(config_.broker_name, 1, kPermInherit | (config_.broker_topic_enable ? kRw : 0));
  PutSystem(kOffsetMovedEventTopic, 1, kRw);
  PutSystem(kScheduleTopic, 18, kRw);
  if (config_.trace_topic_enable) PutSystem(config_.msg_trace_topic_name, 1, kRw);
  PutSystem(config_.broker_cluster_name + std::string(kReplyTopicSuffix), 1, kRw);
}

Status TopicTable::Load() {
  if (path_.empty()) return Status::Ok();
  auto text = LoadJsonFile(path_);
  if (!text) {
    MQ_LOG_INFO("no {} yet, starting with the system topics", path_);
    return Status::Ok();
  }
  rapidjson::Document doc;
  if (Status s = remoting::ParseFastjson(*text, doc); !s.ok()) return s;
  std::vector<TopicConfig> loaded;
  if (auto table = remoting::FindMember(doc, "topicConfigTable"); table != nullptr && !table->IsNull()) {
    if (!table->IsObject()) return Status::SystemError(path_ + ": topicConfigTable is not an object");
    if (table->MemberCount() > kMaxTopics) return Status::SystemError(path_ + ": too many topics");
    for (auto it = table->MemberBegin(); it != table->MemberEnd(); ++it) {
      auto c = ReadTopicConfig(it->value, std::string_view(it->name.GetString(), it->name.GetStringLength()));
      if (!c.ok()) return Status::SystemError(path_ + ": " + c.status().remark());
      if (c->topic_name.empty()) continue;
      loaded.push_back(std::move(*c));
    }
  }
  if (auto dv = remoting::FindMember(doc, "dataVersion"); dv != nullptr && !dv->IsNull()) {
    auto v = ReadDataVersion(*dv);
    if (!v.ok()) return Status::SystemError(path_ + ": " + v.status().remark());
    data_version_ = *v;
  }
  for (TopicConfig& c : loaded) {
    std::string name = c.topic_name;
    topics_.insert_or_assign(std::move(name), std::move(c));
  }
  Changed();
  MQ_LOG_INFO("loaded {} topics from {}", loaded.size(), path_);
  return Status::Ok();
}

Status TopicTable::Persist() const {
  if (path_.empty()) return Status::Ok();
  if (writer_ != nullptr) return writer_->Write(path_, EncodeWrapper());
  return PersistJsonFile(path_, EncodeWrapper());
}

const TopicConfig* TopicTable::Find(std::string_view topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : &it->second;
}

bool TopicTable::IsSystemTopic(std::string_view topic) const {
  return IsFixedSystemTopic(topic) || topic == config_.broker_cluster_name || topic == config_.broker_name ||
         topic == config_.msg_trace_topic_name || topic == config_.broker_cluster_name + std::string(kReplyTopicSuffix);
}

Status TopicTable::UpdateTopic(const TopicConfig& config) {
  if (Status s = ValidateTopicName(config.topic_name); !s.ok()) return s;
  if (IsSystemTopic(config.topic_name)) {
    return Status::SystemError("topic " + config.topic_name + " is a system topic and cannot be changed");
  }
  if (config.read_queue_nums < 0 || config.read_queue_nums > kMaxQueueNums || config.write_queue_nums < 0 ||
      config.write_queue_nums > kMaxQueueNums) {
    return Status::SystemError("queue numbers must be within [0, " + std::to_string(kMaxQueueNums) + "]");
  }
  if (config.perm < 0 || config.perm > 15) return Status::SystemError("perm must be within [0, 15]");
  Commit(config);
  MQ_LOG_INFO("topic {} updated: {}", config.topic_name, EncodeTopicConfig(config));
  return Status::Ok();
}

Result<bool> TopicTable::DeleteTopic(std::string_view topic) {
  if (IsSystemTopic(topic)) {
    return Status::SystemError("topic " + std::string(topic) + " is a system topic and cannot be deleted");
  }
  auto it = topics_.find(topic);
  if (it == topics_.end()) return false;
  topics_.erase(it);
  data_version_.Next(clock_());
  if (Status s = Persist(); !s.ok()) MQ_LOG_WARN("persisting topics after a delete failed: {}", s.ToString());
  Changed();
  MQ_LOG_INFO("topic {} deleted", topic);
  return true;
}

Result<TopicEnsured> TopicTable::CreateForSend(std::string_view topic, std::string_view default_topic,
                                               int32_t client_default_queue_nums, int32_t topic_sys_flag) {
  if (Status s = ValidateTopicName(topic); !s.ok()) return s;
  if (IsNotSendableTopic(topic)) {
    return Status(ResponseCode::kNoPermission, "topic " + std::string(topic) + " is not allowed to be sent to");
  }
  if (const TopicConfig* existing = Find(topic)) return TopicEnsured{*existing, false};
  auto tpl = topics_.find(default_topic);
  if (tpl == topics_.end()) {
    return Status(ResponseCode::kTopicNotExist, "topic " + std::string(topic) + " does not exist and its template " +
                                                    std::string(default_topic) + " is not defined on this broker");
  }
  // A TBW102 left over from a store written with autoCreateTopicEnable=true stops being a template.
  if (default_topic == kAutoCreateTopicKey && !config_.auto_create_topic_enable && IsInherited(tpl->second.perm)) {
    tpl->second.perm = kPermRead | kPermWrite;
    Changed();
  }
  if (!IsInherited(tpl->second.perm)) {
    return Status(ResponseCode::kTopicNotExist, "topic " + std::string(topic) + " does not exist and template " +
                                                    std::string(default_topic) + " does not allow inheriting (perm " +
                                                    PermToString(tpl->second.perm) + ")");
  }
  TopicConfig c;
  c.topic_name = std::string(topic);
  const int32_t queue_nums = std::max(0, std::min(client_default_queue_nums, tpl->second.write_queue_nums));
  c.read_queue_nums = queue_nums;
  c.write_queue_nums = queue_nums;
  c.perm = tpl->second.perm & ~kPermInherit;
  c.topic_filter_type = tpl->second.topic_filter_type;
  c.topic_sys_flag = topic_sys_flag;
  MQ_LOG_INFO("auto-creating topic {} from template {}: {}", topic, default_topic, EncodeTopicConfig(c));
  Commit(c);
  return TopicEnsured{std::move(c), true};
}

Result<TopicEnsured> TopicTable::EnsureTopic(std::string_view topic, int32_t queue_nums, int32_t perm,
                                             int32_t sys_flag) {
  if (const TopicConfig* existing = Find(topic)) return TopicEnsured{*existing, false};
  if (queue_nums <= 0 || queue_nums > kMaxQueueNums) {
    return Status::SystemError("cannot create " + std::string(topic) + " with " + std::to_string(queue_nums) +
                               " queues");
  }
  TopicConfig c;
  c.topic_name = std::string(topic);
  c.read_queue_nums = queue_nums;
  c.write_queue_nums = queue_nums;
  c.perm = perm;
  c.topic_sys_flag = sys_flag;
  MQ_LOG_INFO("creating topic {}: {}", topic, EncodeTopicConfig(c));
  Commit(c);
  return TopicEnsured{std::move(c), true};
}

Result<TopicEnsured> TopicTable::CreateRetryTopicIfAbsent(std::string_view group, int32_t retry_queue_nums,
                                                          int32_t topic_sys_flag) {
  return EnsureTopic(RetryTopicOf(group), retry_queue_nums, kPermRead | kPermWrite, topic_sys_flag);
}

Result<TopicEnsured> TopicTable::CreateDlqTopicIfAbsent(std::string_view group) {
  return EnsureTopic(DlqTopicOf(group), kDlqQueueNums, kPermRead | kPermWrite, 0);
}

void TopicTable::Commit(TopicConfig config) {
  std::string name = config.topic_name;
  topics_.insert_or_assign(std::move(name), std::move(config));
  data_version_.Next(clock_());
  // The in-memory table stays authoritative when the disk fails; the next change retries.
  if (Status s = Persist(); !s.ok()) MQ_LOG_WARN("persisting topics failed: {}", s.ToString());
  Changed();
}

void TopicTable::Changed() {
  auto snap = std::make_shared<TopicSnapshot>();
  snap->data_version = data_version_;
  snap->topics.reserve(topics_.size());
  for (const auto& [name, c] : topics_) snap->topics.emplace(name, c);
  snapshot_ = std::move(snap);
}

namespace {

void WriteWrapper(JsonWriter& w, const DataVersion& dv, const std::vector<const TopicConfig*>& topics,
                  int32_t perm_override, bool replace_perm) {
  w.StartObject();
  w.Key("dataVersion");
  WriteDataVersion(w, dv);
  w.Key("topicConfigTable");
  w.StartObject();
  for (const TopicConfig* c : topics) {
    WriteKey(w, c->topic_name);
    WriteTopicConfig(w, *c, replace_perm ? perm_override : c->perm);
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string TopicTable::EncodeWrapper() const {
  std::vector<const TopicConfig*> all;
  all.reserve(topics_.size());
  for (const auto& [name, c] : topics_) all.push_back(&c);
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  WriteWrapper(w, data_version_, all, 0, false);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string TopicTable::EncodeRegisterBody(int32_t broker_permission, const std::vector<std::string>& only) const {
  std::vector<const TopicConfig*> chosen;
  if (only.empty()) {
    for (const auto& [name, c] : topics_) chosen.push_back(&c);
  } else {
    for (const std::string& name : only) {
      if (const TopicConfig* c = Find(name)) chosen.push_back(c);
    }
  }
  const bool replace = !IsReadable(broker_permission) || !IsWriteable(broker_permission);
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("filterServerList");
  w.StartArray();
  w.EndArray();
  w.Key("topicConfigSerializeWrapper");
  WriteWrapper(w, data_version_, chosen, broker_permission, replace);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace mq::broker
