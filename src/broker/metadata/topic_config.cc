#include "broker/metadata/topic_config.h"

#include <array>

#include "remoting/fastjson.h"

namespace mq::broker {
namespace {

bool IsTopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' || c == '|' ||
         c == '_' || c == '-';
}

constexpr std::array<std::string_view, 6> kNotSendable = {
    kSelfTestTopic, kOffsetMovedEventTopic, kScheduleTopic, kTransHalfTopic, kTransOpHalfTopic, kTransCheckMaxTimeTopic,
};

constexpr std::array<std::string_view, 9> kFixedSystem = {
    kAutoCreateTopicKey, kSelfTestTopic,   kBenchmarkTopic,   kOffsetMovedEventTopic,   kScheduleTopic,
    kTraceTopic,         kTransHalfTopic,  kTransOpHalfTopic, kTransCheckMaxTimeTopic,
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& set, std::string_view topic) {
  for (std::string_view t : set) {
    if (t == topic) return true;
  }
  return false;
}

}  // namespace

std::string PermToString(int32_t perm) {
  std::string s = "---";
  if (IsReadable(perm)) s[0] = 'R';
  if (IsWriteable(perm)) s[1] = 'W';
  if (IsInherited(perm)) s[2] = 'X';
  return s;
}

Status ValidateTopicName(std::string_view topic) {
  if (topic.empty()) return Status::SystemError("topic name is empty");
  if (topic.size() > kMaxTopicNameLength) {
    return Status::SystemError("topic name is longer than " + std::to_string(kMaxTopicNameLength) + " characters");
  }
  for (char c : topic) {
    if (!IsTopicChar(c)) {
      return Status::SystemError("topic name '" + std::string(topic) +
                                 "' has characters outside [%|a-zA-Z0-9_-]");
    }
  }
  return Status::Ok();
}

bool IsFixedSystemTopic(std::string_view topic) {
  return Contains(kFixedSystem, topic) || topic.starts_with(kSystemTopicPrefix);
}

bool IsNotSendableTopic(std::string_view topic) { return Contains(kNotSendable, topic); }
bool IsRetryTopic(std::string_view topic) { return topic.starts_with(kRetryTopicPrefix); }
bool IsDlqTopic(std::string_view topic) { return topic.starts_with(kDlqTopicPrefix); }
std::string RetryTopicOf(std::string_view group) { return std::string(kRetryTopicPrefix) + std::string(group); }
std::string DlqTopicOf(std::string_view group) { return std::string(kDlqTopicPrefix) + std::string(group); }

const char* TopicFilterTypeName(TopicFilterType type) {
  return type == TopicFilterType::kMultiTag ? "MULTI_TAG" : "SINGLE_TAG";
}

Result<TopicFilterType> ParseTopicFilterType(std::string_view text) {
  if (text == "SINGLE_TAG" || text == "0") return TopicFilterType::kSingleTag;
  if (text == "MULTI_TAG" || text == "1") return TopicFilterType::kMultiTag;
  return Status::SystemError("unknown topicFilterType '" + std::string(text.substr(0, 64)) + "'");
}

Result<TopicConfig> ReadTopicConfig(const rapidjson::Value& obj, std::string_view key_name) {
  if (!obj.IsObject()) return Status::SystemError("topic config '" + std::string(key_name) + "' is not an object");
  TopicConfig c;
  auto name = remoting::GetStringMember(obj, "topicName", key_name);
  auto read = remoting::GetInt32Member(obj, "readQueueNums", c.read_queue_nums);
  auto write = remoting::GetInt32Member(obj, "writeQueueNums", c.write_queue_nums);
  auto perm = remoting::GetInt32Member(obj, "perm", c.perm);
  auto sys_flag = remoting::GetInt32Member(obj, "topicSysFlag", c.topic_sys_flag);
  auto order = remoting::GetBoolMember(obj, "order", c.order);
  auto filter = remoting::GetStringMember(obj, "topicFilterType", "SINGLE_TAG");
  if (!name.ok()) return name.status();
  if (!read.ok()) return read.status();
  if (!write.ok()) return write.status();
  if (!perm.ok()) return perm.status();
  if (!sys_flag.ok()) return sys_flag.status();
  if (!order.ok()) return order.status();
  if (!filter.ok()) return filter.status();
  auto filter_type = ParseTopicFilterType(*filter);
  if (!filter_type.ok()) return filter_type.status();
  c.topic_name = std::move(*name);
  c.read_queue_nums = *read;
  c.write_queue_nums = *write;
  c.perm = *perm;
  c.topic_sys_flag = *sys_flag;
  c.order = *order;
  c.topic_filter_type = *filter_type;
  return c;
}

void WriteTopicConfig(JsonWriter& w, const TopicConfig& c, int32_t perm) {
  w.StartObject();
  w.Key("order");
  w.Bool(c.order);
  w.Key("perm");
  w.Int(perm);
  w.Key("readQueueNums");
  w.Int(c.read_queue_nums);
  w.Key("topicFilterType");
  w.String(TopicFilterTypeName(c.topic_filter_type));
  w.Key("topicName");
  WriteString(w, c.topic_name);
  w.Key("topicSysFlag");
  w.Int(c.topic_sys_flag);
  w.Key("writeQueueNums");
  w.Int(c.write_queue_nums);
  w.EndObject();
}

std::string EncodeTopicConfig(const TopicConfig& config) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  WriteTopicConfig(w, config);
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace mq::broker
