// A broker-side topic definition (spec 2.3 TopicConfig), permission bits (2.2), topic name rules
// (7.2) and the system-topic names (7.12). Plain values and pure functions: any shard may use them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/status.h"
#include "broker/metadata/json_file.h"

namespace mq::broker {

constexpr int32_t kPermPriority = 8;
constexpr int32_t kPermRead = 4;
constexpr int32_t kPermWrite = 2;
constexpr int32_t kPermInherit = 1;

constexpr bool IsReadable(int32_t perm) { return (perm & kPermRead) != 0; }
constexpr bool IsWriteable(int32_t perm) { return (perm & kPermWrite) != 0; }
constexpr bool IsInherited(int32_t perm) { return (perm & kPermInherit) != 0; }
// "RW-", "R--", "RWX" (X = inherit), as mqadmin prints it.
std::string PermToString(int32_t perm);

// System topics (7.12).
constexpr std::string_view kAutoCreateTopicKey = "TBW102";
constexpr std::string_view kSelfTestTopic = "SELF_TEST_TOPIC";
constexpr std::string_view kBenchmarkTopic = "BenchmarkTest";
constexpr std::string_view kOffsetMovedEventTopic = "OFFSET_MOVED_EVENT";
constexpr std::string_view kScheduleTopic = "SCHEDULE_TOPIC_XXXX";
constexpr std::string_view kTraceTopic = "RMQ_SYS_TRACE_TOPIC";
constexpr std::string_view kTransHalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC";
constexpr std::string_view kTransOpHalfTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
constexpr std::string_view kTransCheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC";
constexpr std::string_view kReplyTopicSuffix = "_REPLY_TOPIC";
constexpr std::string_view kSystemTopicPrefix = "rmq_sys_";
constexpr std::string_view kRetryTopicPrefix = "%RETRY%";
constexpr std::string_view kDlqTopicPrefix = "%DLQ%";
constexpr size_t kMaxTopicNameLength = 127;

// Non-empty, at most 127 characters, only [%|a-zA-Z0-9_-]. SYSTEM_ERROR (what the reference
// answers on send and on UPDATE_AND_CREATE_TOPIC) with a remark naming the problem.
Status ValidateTopicName(std::string_view topic);
// The fixed system topic names of 7.12 (including TBW102, BenchmarkTest and the on-demand
// transaction topics) and every name starting with rmq_sys_. The cluster, broker-name and reply
// topics depend on the config: TopicTable::IsSystemTopic adds them.
bool IsFixedSystemTopic(std::string_view topic);
// Topics clients may never send to: SELF_TEST_TOPIC, OFFSET_MOVED_EVENT, SCHEDULE_TOPIC_XXXX and
// the three transaction topics.
bool IsNotSendableTopic(std::string_view topic);
bool IsRetryTopic(std::string_view topic);
bool IsDlqTopic(std::string_view topic);
std::string RetryTopicOf(std::string_view group);
std::string DlqTopicOf(std::string_view group);

enum class TopicFilterType { kSingleTag, kMultiTag };
const char* TopicFilterTypeName(TopicFilterType type);
// "SINGLE_TAG" / "MULTI_TAG" or the ordinal 0 / 1.
Result<TopicFilterType> ParseTopicFilterType(std::string_view text);

struct TopicConfig {
  std::string topic_name;
  int32_t read_queue_nums = 16;
  int32_t write_queue_nums = 16;
  int32_t perm = kPermRead | kPermWrite;
  TopicFilterType topic_filter_type = TopicFilterType::kSingleTag;
  int32_t topic_sys_flag = 0;
  bool order = false;

  bool operator==(const TopicConfig&) const = default;
};

// Reads one TopicConfig object leniently (fastjson: absent members keep their defaults, numbers
// may be strings). `key_name` (the table key) is used when topicName is absent.
Result<TopicConfig> ReadTopicConfig(const rapidjson::Value& obj, std::string_view key_name);
// Writes the members in fastjson order: order, perm, readQueueNums, topicFilterType, topicName,
// topicSysFlag, writeQueueNums. `perm` overrides config.perm (the register-body replacement).
void WriteTopicConfig(JsonWriter& w, const TopicConfig& config, int32_t perm);
inline void WriteTopicConfig(JsonWriter& w, const TopicConfig& config) { WriteTopicConfig(w, config, config.perm); }
std::string EncodeTopicConfig(const TopicConfig& config);

}  // namespace mq::broker
