// Messages as applications see them. Message is what a producer sends; MessageExt is what a
// consumer receives (the stored record of spec 5.6 with its ids). Plain data, copyable.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace mq {

struct MessageQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;

  std::string ToString() const;  // "topic@broker#queueId"
  auto operator<=>(const MessageQueue&) const = default;
};

struct Message {
  std::string topic;
  std::string tags;        // one tag; consumers filter on it ("TagA || TagB")
  std::string keys;        // space-separated keys, indexed for QUERY_MESSAGE
  std::string body;        // bytes, 1 B .. 4 MiB
  int32_t flag = 0;        // user int stored with the message
  int32_t delay_level = 0; // 1..18 (1s 5s 10s 30s 1m ... 2h), 0 = deliver now
  bool wait_store_ok = true;
  // User properties; names must not collide with RocketMQ's (UNIQ_KEY, TAGS, KEYS, DELAY, ...).
  std::map<std::string, std::string> properties;

  Message() = default;
  Message(std::string topic_in, std::string body_in) : topic(std::move(topic_in)), body(std::move(body_in)) {}
  Message(std::string topic_in, std::string tags_in, std::string body_in)
      : topic(std::move(topic_in)), tags(std::move(tags_in)), body(std::move(body_in)) {}
};

struct MessageExt : Message {
  std::string msg_id;         // UNIQ_KEY when the producer set one, else the offset msg id
  std::string offset_msg_id;  // store host + commit-log offset (32 hex digits for IPv4)
  MessageQueue queue;
  int64_t queue_offset = 0;
  int64_t commit_log_offset = 0;
  int64_t store_timestamp_ms = 0;
  int64_t born_timestamp_ms = 0;
  std::string born_host;   // "ip:port"
  std::string store_host;  // "ip:port"
  int32_t reconsume_times = 0;
  int32_t sys_flag = 0;
  // Every property as stored, system ones included (UNIQ_KEY, TAGS, RETRY_TOPIC, ...).
  std::map<std::string, std::string> all_properties;

  // Property lookup over all_properties; empty when absent.
  std::string Property(const std::string& name) const;
};

}  // namespace mq
