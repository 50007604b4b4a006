// Subscription groups (spec 2.5, 7.12): config/subscriptionGroup.json. Owned by shard 0 like the
// topic table: changes happen there, bump the DataVersion, persist (when a path is set) and
// rebuild an immutable snapshot for the other shards' ShardLocal slots. Not thread-safe by design.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <rapidjson/document.h>

#include "base/status.h"
#include "broker/broker_config.h"
#include "broker/metadata/json_file.h"
#include "broker/metadata/json_file_writer.h"
#include "broker/metadata/topic_table.h"

namespace mq::broker {

constexpr size_t kMaxSubscriptionGroups = 1u << 20;  // bound on entries read from the file
constexpr size_t kMaxGroupNameLength = 255;
constexpr std::string_view kSysConsumerGroupPrefix = "CID_RMQ_SYS_";

struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;

  bool operator==(const SubscriptionGroupConfig&) const = default;
};

// Lenient read (absent members keep the 2.5 defaults); `key_name` stands in for a missing groupName.
Result<SubscriptionGroupConfig> ReadSubscriptionGroupConfig(const rapidjson::Value& obj, std::string_view key_name);
// Members in fastjson order (brokerId ... whichBrokerWhenConsumeSlowly).
void WriteSubscriptionGroupConfig(JsonWriter& w, const SubscriptionGroupConfig& c);
// Non-empty, at most 255 characters of [%|a-zA-Z0-9_-]; SYSTEM_ERROR otherwise.
Status ValidateGroupName(std::string_view group);

struct SubscriptionGroupSnapshot {
  DataVersion data_version;
  std::unordered_map<std::string, SubscriptionGroupConfig, StringHash, std::equal_to<>> groups;
  const SubscriptionGroupConfig* Find(std::string_view group) const {
    auto it = groups.find(group);
    return it == groups.end() ? nullptr : &it->second;
  }
};
using SubscriptionGroupSnapshotPtr = std::shared_ptr<const SubscriptionGroupSnapshot>;

struct GroupEnsured {
  SubscriptionGroupConfig config;
  bool created = false;
};

class SubscriptionGroupTable {
 public:
  using Clock = std::function<int64_t()>;

  // `json_path` empty: nothing is read or written. The built-in groups (7.12) are defined at once;
  // Load() lets the file's entries override them.
  SubscriptionGroupTable(const BrokerConfig& config, std::string json_path, Clock clock = WallClockMs);

  Status Load();
  // Serializes here; the file work goes through the writer when one is set (see JsonFileWriter).
  Status Persist() const;
  void set_file_writer(JsonFileWriter* writer) { writer_ = writer; }

  const SubscriptionGroupConfig* Find(std::string_view group) const;
  // The group, created with defaults when absent and autoCreateSubscriptionGroup is on or the name
  // starts with CID_RMQ_SYS_. Otherwise SUBSCRIPTION_GROUP_NOT_EXIST; a bad name is SYSTEM_ERROR.
  Result<GroupEnsured> FindOrAutoCreate(std::string_view group);
  // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
  Status Update(const SubscriptionGroupConfig& config);
  // DELETE_SUBSCRIPTIONGROUP; true when the group existed.
  bool Delete(std::string_view group);

  size_t size() const { return groups_.size(); }
  const DataVersion& data_version() const { return data_version_; }
  const std::map<std::string, SubscriptionGroupConfig, std::less<>>& groups() const { return groups_; }

  // GET_ALL_SUBSCRIPTIONGROUP_CONFIG body and the file content (SubscriptionGroupWrapper).
  std::string EncodeWrapper() const;
  const SubscriptionGroupSnapshotPtr& snapshot() const { return snapshot_; }

 private:
  void Commit(SubscriptionGroupConfig config);
  void Changed();

  BrokerConfig config_;
  std::string path_;
  JsonFileWriter* writer_ = nullptr;  // not owned; nullptr: synchronous writes
  Clock clock_;
  DataVersion data_version_;
  std::map<std::string, SubscriptionGroupConfig, std::less<>> groups_;
  SubscriptionGroupSnapshotPtr snapshot_;
};

}  // namespace mq::broker
