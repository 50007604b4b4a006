#include "broker/metadata/subscription_group_table.h"

#include "base/log.h"
#include "remoting/fastjson.h"

namespace mq::broker {
namespace {

constexpr std::string_view kBuiltInGroups[] = {
    "TOOLS_CONSUMER",     "FILTERSRV_CONSUMER",    "SELF_TEST_C_GROUP",     "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",    "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",
};

template <typename T>
Status Take(Result<T> r, T& out) {
  if (!r.ok()) return r.status();
  out = std::move(*r);
  return Status::Ok();
}

}  // namespace

Status ValidateGroupName(std::string_view group) {
  if (group.empty()) return Status::SystemError("group name is empty");
  if (group.size() > kMaxGroupNameLength) {
    return Status::SystemError("group name is longer than " + std::to_string(kMaxGroupNameLength) + " characters");
  }
  for (char c : group) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' || c == '|' ||
              c == '_' || c == '-';
    if (!ok) return Status::SystemError("group name '" + std::string(group) + "' has characters outside [%|a-zA-Z0-9_-]");
  }
  return Status::Ok();
}

Result<SubscriptionGroupConfig> ReadSubscriptionGroupConfig(const rapidjson::Value& obj, std::string_view key_name) {
  if (!obj.IsObject()) return Status::SystemError("group config '" + std::string(key_name) + "' is not an object");
  using remoting::GetBoolMember;
  using remoting::GetInt32Member;
  using remoting::GetInt64Member;
  SubscriptionGroupConfig c;
  Status s;
  if (s = Take(remoting::GetStringMember(obj, "groupName", key_name), c.group_name); !s.ok()) return s;
  if (s = Take(GetBoolMember(obj, "consumeEnable", c.consume_enable), c.consume_enable); !s.ok()) return s;
  if (s = Take(GetBoolMember(obj, "consumeFromMinEnable", c.consume_from_min_enable), c.consume_from_min_enable);
      !s.ok()) {
    return s;
  }
  if (s = Take(GetBoolMember(obj, "consumeBroadcastEnable", c.consume_broadcast_enable), c.consume_broadcast_enable);
      !s.ok()) {
    return s;
  }
  if (s = Take(GetInt32Member(obj, "retryQueueNums", c.retry_queue_nums), c.retry_queue_nums); !s.ok()) return s;
  if (s = Take(GetInt32Member(obj, "retryMaxTimes", c.retry_max_times), c.retry_max_times); !s.ok()) return s;
  if (s = Take(GetInt64Member(obj, "brokerId", c.broker_id), c.broker_id); !s.ok()) return s;
  if (s = Take(GetInt64Member(obj, "whichBrokerWhenConsumeSlowly", c.which_broker_when_consume_slowly),
               c.which_broker_when_consume_slowly);
      !s.ok()) {
    return s;
  }
  if (s = Take(GetBoolMember(obj, "notifyConsumerIdsChangedEnable", c.notify_consumer_ids_changed_enable),
               c.notify_consumer_ids_changed_enable);
      !s.ok()) {
    return s;
  }
  return c;
}

void WriteSubscriptionGroupConfig(JsonWriter& w, const SubscriptionGroupConfig& c) {
  w.StartObject();
  w.Key("brokerId");
  w.Int64(c.broker_id);
  w.Key("consumeBroadcastEnable");
  w.Bool(c.consume_broadcast_enable);
  w.Key("consumeEnable");
  w.Bool(c.consume_enable);
  w.Key("consumeFromMinEnable");
  w.Bool(c.consume_from_min_enable);
  w.Key("groupName");
  WriteString(w, c.group_name);
  w.Key("notifyConsumerIdsChangedEnable");
  w.Bool(c.notify_consumer_ids_changed_enable);
  w.Key("retryMaxTimes");
  w.Int(c.retry_max_times);
  w.Key("retryQueueNums");
  w.Int(c.retry_queue_nums);
  w.Key("whichBrokerWhenConsumeSlowly");
  w.Int64(c.which_broker_when_consume_slowly);
  w.EndObject();
}

SubscriptionGroupTable::SubscriptionGroupTable(const BrokerConfig& config, std::string json_path, Clock clock)
    : config_(config), path_(std::move(json_path)), clock_(std::move(clock)) {
  data_version_.timestamp_ms = clock_();
  for (std::string_view name : kBuiltInGroups) {
    SubscriptionGroupConfig c;
    c.group_name = std::string(name);
    c.consume_broadcast_enable = true;  // the reference sets it explicitly on the last four
    groups_.insert_or_assign(c.group_name, std::move(c));
  }
  Changed();
}

Status SubscriptionGroupTable::Load() {
  if (path_.empty()) return Status::Ok();
  auto text = LoadJsonFile(path_);
  if (!text) return Status::Ok();
  rapidjson::Document doc;
  if (Status s = remoting::ParseFastjson(*text, doc); !s.ok()) return s;
  std::vector<SubscriptionGroupConfig> loaded;
  if (auto table = remoting::FindMember(doc, "subscriptionGroupTable"); table != nullptr && !table->IsNull()) {
    if (!table->IsObject()) return Status::SystemError(path_ + ": subscriptionGroupTable is not an object");
    if (table->MemberCount() > kMaxSubscriptionGroups) return Status::SystemError(path_ + ": too many groups");
    for (auto it = table->MemberBegin(); it != table->MemberEnd(); ++it) {
      auto c = ReadSubscriptionGroupConfig(it->value, std::string_view(it->name.GetString(), it->name.GetStringLength()));
      if (!c.ok()) return Status::SystemError(path_ + ": " + c.status().remark());
      if (c->group_name.empty()) continue;
      loaded.push_back(std::move(*c));
    }
  }
  if (auto dv = remoting::FindMember(doc, "dataVersion"); dv != nullptr && !dv->IsNull()) {
    auto v = ReadDataVersion(*dv);
    if (!v.ok()) return Status::SystemError(path_ + ": " + v.status().remark());
    data_version_ = *v;
  }
  for (SubscriptionGroupConfig& c : loaded) {
    std::string name = c.group_name;
    groups_.insert_or_assign(std::move(name), std::move(c));
  }
  Changed();
  MQ_LOG_INFO("loaded {} subscription groups from {}", loaded.size(), path_);
  return Status::Ok();
}

Status SubscriptionGroupTable::Persist() const {
  if (path_.empty()) return Status::Ok();
  if (writer_ != nullptr) return writer_->Write(path_, EncodeWrapper());
  return PersistJsonFile(path_, EncodeWrapper());
}

const SubscriptionGroupConfig* SubscriptionGroupTable::Find(std::string_view group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

Result<GroupEnsured> SubscriptionGroupTable::FindOrAutoCreate(std::string_view group) {
  if (const SubscriptionGroupConfig* c = Find(group)) return GroupEnsured{*c, false};
  if (!config_.auto_create_subscription_group && !group.starts_with(kSysConsumerGroupPrefix)) {
    return Status(ResponseCode::kSubscriptionGroupNotExist,
                  "subscription group " + std::string(group) + " does not exist and autoCreateSubscriptionGroup is off");
  }
  if (Status s = ValidateGroupName(group); !s.ok()) return s;
  SubscriptionGroupConfig c;
  c.group_name = std::string(group);
  MQ_LOG_INFO("auto-creating subscription group {}", group);
  Commit(c);
  return GroupEnsured{std::move(c), true};
}

Status SubscriptionGroupTable::Update(const SubscriptionGroupConfig& config) {
  if (Status s = ValidateGroupName(config.group_name); !s.ok()) return s;
  if (config.retry_queue_nums < 0 || config.retry_queue_nums > kMaxQueueNums) {
    return Status::SystemError("retryQueueNums must be within [0, " + std::to_string(kMaxQueueNums) + "]");
  }
  Commit(config);
  return Status::Ok();
}

bool SubscriptionGroupTable::Delete(std::string_view group) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  data_version_.Next(clock_());
  if (Status s = Persist(); !s.ok()) MQ_LOG_WARN("persisting subscription groups failed: {}", s.ToString());
  Changed();
  return true;
}

void SubscriptionGroupTable::Commit(SubscriptionGroupConfig config) {
  std::string name = config.group_name;
  groups_.insert_or_assign(std::move(name), std::move(config));
  data_version_.Next(clock_());
  // The in-memory table stays authoritative when the disk fails; the next change retries.
  if (Status s = Persist(); !s.ok()) MQ_LOG_WARN("persisting subscription groups failed: {}", s.ToString());
  Changed();
}

void SubscriptionGroupTable::Changed() {
  auto snap = std::make_shared<SubscriptionGroupSnapshot>();
  snap->data_version = data_version_;
  snap->groups.reserve(groups_.size());
  for (const auto& [name, c] : groups_) snap->groups.emplace(name, c);
  snapshot_ = std::move(snap);
}

std::string SubscriptionGroupTable::EncodeWrapper() const {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("dataVersion");
  WriteDataVersion(w, data_version_);
  w.Key("subscriptionGroupTable");
  w.StartObject();
  for (const auto& [name, c] : groups_) {
    WriteKey(w, name);
    WriteSubscriptionGroupConfig(w, c);
  }
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace mq::broker
