// The broker's topic table (spec 2.3, 7.2, 7.8, 7.12). Owned by shard 0: every change happens
// there, bumps the DataVersion, persists config/topics.json (when a path is set) and rebuilds an
// immutable TopicSnapshot that shard 0 broadcasts to the other shards' ShardLocal slots; the
// request path of any shard reads only its snapshot. Not thread-safe by design.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "broker/broker_config.h"
#include "broker/metadata/json_file.h"
#include "broker/metadata/json_file_writer.h"
#include "broker/metadata/topic_config.h"

namespace mq::broker {

constexpr size_t kMaxTopics = 1u << 20;  // bound on entries read from topics.json
constexpr int32_t kMaxQueueNums = 65535;
constexpr int32_t kDlqQueueNums = 1;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// What shards read. Immutable once published.
struct TopicSnapshot {
  DataVersion data_version;
  std::unordered_map<std::string, TopicConfig, StringHash, std::equal_to<>> topics;
  const TopicConfig* Find(std::string_view topic) const {
    auto it = topics.find(topic);
    return it == topics.end() ? nullptr : &it->second;
  }
};
using TopicSnapshotPtr = std::shared_ptr<const TopicSnapshot>;

// The outcome of an "ensure this topic exists" call: the config, and whether this call created it
// (the caller then re-registers with the name servers).
struct TopicEnsured {
  TopicConfig config;
  bool created = false;
};

class TopicTable {
 public:
  using Clock = std::function<int64_t()>;  // wall-clock ms, for DataVersion timestamps

  // `topics_json_path` empty: nothing is read or written (tests). The system topics of 7.12 are
  // defined at once; Load() then lets the file's entries override them, as the reference does.
  TopicTable(const BrokerConfig& config, std::string topics_json_path, Clock clock = WallClockMs);

  // Reads topics.json (or its .bak). A fresh store is OK; a file that parses but has the wrong
  // shape is an error (the broker should not start and overwrite it).
  Status Load();
  // Serializes here; the file work goes through the writer when one is set (see JsonFileWriter).
  Status Persist() const;
  void set_file_writer(JsonFileWriter* writer) { writer_ = writer; }

  const TopicConfig* Find(std::string_view topic) const;
  size_t size() const { return topics_.size(); }
  const DataVersion& data_version() const { return data_version_; }
  const std::map<std::string, TopicConfig, std::less<>>& topics() const { return topics_; }
  // Fixed system topics plus the cluster, broker-name and reply topics of this broker.
  bool IsSystemTopic(std::string_view topic) const;

  // UPDATE_AND_CREATE_TOPIC: validates the name, refuses system topics and bad numbers
  // (SYSTEM_ERROR), then creates or replaces the topic.
  Status UpdateTopic(const TopicConfig& config);
  // DELETE_TOPIC_IN_BROKER: refuses system topics; true when the topic existed.
  Result<bool> DeleteTopic(std::string_view topic);

  // Send to a topic this broker may not know (7.2). Existing topic: returned as is. Otherwise the
  // template `default_topic` must exist and have INHERIT: the topic gets
  // min(client_default_queue_nums, template writeQueueNums) read and write queues, the template's
  // perm without INHERIT and its filter type, and `topic_sys_flag`. Refusals: bad name
  // (SYSTEM_ERROR), not-sendable topic (NO_PERMISSION), no usable template (TOPIC_NOT_EXIST).
  Result<TopicEnsured> CreateForSend(std::string_view topic, std::string_view default_topic,
                                     int32_t client_default_queue_nums, int32_t topic_sys_flag = 0);
  // %RETRY%<group> with `retry_queue_nums` queues, perm RW (7.8; HEART_BEAT and send-back).
  Result<TopicEnsured> CreateRetryTopicIfAbsent(std::string_view group, int32_t retry_queue_nums,
                                                int32_t topic_sys_flag = 0);
  // %DLQ%<group>, 1 queue, perm RW (7.8).
  Result<TopicEnsured> CreateDlqTopicIfAbsent(std::string_view group);

  // GET_ALL_TOPIC_CONFIG body and the content of topics.json (TopicConfigSerializeWrapper).
  std::string EncodeWrapper() const;
  // REGISTER_BROKER body (RegisterBrokerBody). When `broker_permission` lacks READ or WRITE every
  // topic's perm is replaced by it (7.1). `only` non-empty: just those topics (the registration
  // after UPDATE_AND_CREATE_TOPIC), still with the whole table's dataVersion.
  std::string EncodeRegisterBody(int32_t broker_permission, const std::vector<std::string>& only = {}) const;

  // The snapshot of the current state; a new pointer after every change.
  const TopicSnapshotPtr& snapshot() const { return snapshot_; }

 private:
  void DefineSystemTopics();
  void PutSystem(std::string_view name, int32_t queue_nums, int32_t perm);
  // Inserts or replaces, bumps the version, persists, republishes.
  void Commit(TopicConfig config);
  void Changed();
  Result<TopicEnsured> EnsureTopic(std::string_view topic, int32_t queue_nums, int32_t perm, int32_t sys_flag);

  BrokerConfig config_;  // a copy: the table may outlive the caller's config
  std::string path_;
  JsonFileWriter* writer_ = nullptr;  // not owned; nullptr: synchronous writes
  Clock clock_;
  DataVersion data_version_;
  std::map<std::string, TopicConfig, std::less<>> topics_;
  TopicSnapshotPtr snapshot_;
};

}  // namespace mq::broker
