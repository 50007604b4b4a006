// Request builders and response parsers for what a RocketMQ client sends (spec 3.3, 3.4, 3.5, 2.4).
// Pure functions, no I/O: the unit tests compare them field by field with the captured Java client
// requests (fixtures/java-4.9.8). Ext fields are written in the order of the Java header classes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mq/message.h"
#include "remoting/command.h"

namespace mq::client {

inline constexpr const char* kDefaultTopic = "TBW102";
inline constexpr const char* kClientInnerProducer = "CLIENT_INNER_PRODUCER";
inline constexpr std::string_view kRetryPrefix = "%RETRY%";
inline constexpr std::string_view kDlqPrefix = "%DLQ%";

// PullSysFlag bits (spec 3.4).
inline constexpr int32_t kPullCommitOffset = 0x1;
inline constexpr int32_t kPullSuspend = 0x2;
inline constexpr int32_t kPullSubscription = 0x4;
inline constexpr int32_t kPullLitePull = 0x10;

struct SendHeader {
  std::string producer_group;
  std::string topic;
  std::string default_topic = kDefaultTopic;
  int32_t default_topic_queue_nums = 4;
  int32_t queue_id = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp_ms = 0;
  int32_t flag = 0;
  std::string properties;  // encoded (spec 5.1)
  int32_t reconsume_times = 0;
  bool unit_mode = false;
  std::optional<int32_t> max_reconsume_times;  // only for %RETRY% topics
  bool batch = false;
  std::string broker_name;
};
// SEND_MESSAGE_V2 (310) with the one-letter keys, or SEND_BATCH_MESSAGE (320) when header.batch.
remoting::Command BuildSendRequest(const SendHeader& header, std::string body);

struct SendResponse {
  int32_t code = 0;             // 0, 10, 11 or 12 (the "sent" codes)
  std::string offset_msg_id;    // broker msgId
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
};
// Fails (with the broker's code and remark) unless the code is one of the four "sent" codes.
Result<SendResponse> ParseSendResponse(const remoting::Command& response);

struct PullHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int32_t max_msg_nums = 32;
  int32_t sys_flag = 0;
  int64_t commit_offset = 0;
  int64_t suspend_timeout_ms = 15000;
  std::optional<std::string> subscription;  // with kPullSubscription
  int64_t sub_version = 0;
  std::string expression_type = "TAG";
  std::string broker_name;
};
remoting::Command BuildPullRequest(const PullHeader& header);

struct PullResponse {
  int32_t code = 0;  // 0 FOUND, 19 no new message, 20 retry now, 21 offset moved, other: error
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t suggest_which_broker_id = 0;
  std::string body;
};
// Fails for codes other than 0/19/20/21, or when a required field is missing.
Result<PullResponse> ParsePullResponse(remoting::Command&& response);

remoting::Command BuildQueryConsumerOffset(const std::string& group, const MessageQueue& mq);
remoting::Command BuildUpdateConsumerOffset(const std::string& group, const MessageQueue& mq, int64_t offset);
remoting::Command BuildGetMaxOffset(const MessageQueue& mq);
remoting::Command BuildGetMinOffset(const MessageQueue& mq);
remoting::Command BuildSearchOffset(const MessageQueue& mq, int64_t timestamp_ms);
// The "offset" field of a 14/29/30/31 answer; QUERY_NOT_FOUND (22) and others come back as errors.
Result<int64_t> ParseOffsetResponse(const remoting::Command& response);

remoting::Command BuildGetConsumerList(const std::string& group);
Result<std::vector<std::string>> ParseConsumerIdList(const remoting::Command& response);

remoting::Command BuildUnregisterClient(const std::string& client_id, const std::string& producer_group,
                                        const std::string& consumer_group);

struct SendBackHeader {
  int64_t offset = 0;  // commit-log offset of the failed message
  std::string group;
  int32_t delay_level = 0;
  std::string origin_msg_id;
  std::string origin_topic;
  int32_t max_reconsume_times = 16;
  std::string broker_name;
};
remoting::Command BuildConsumerSendMsgBack(const SendBackHeader& header);

// Heartbeat body (spec 2.4), keys in fastjson's alphabetical order.
struct SubscriptionData {
  std::string topic;
  std::string sub_string = "*";
  std::vector<std::string> tags;  // empty for "*"
  int64_t sub_version = 0;
};
struct ConsumerData {
  std::string group;
  bool push = true;              // CONSUME_PASSIVELY / CONSUME_ACTIVELY
  bool clustering = true;        // CLUSTERING / BROADCASTING
  std::string consume_from_where = "CONSUME_FROM_LAST_OFFSET";
  std::vector<SubscriptionData> subscriptions;
};
struct HeartbeatData {
  std::string client_id;
  std::vector<std::string> producer_groups;
  std::vector<ConsumerData> consumers;
};
// One SubscriptionData object as Java's fastjson writes it (heartbeats, running info).
void AppendSubscriptionJson(std::string& out, const SubscriptionData& s);
std::string EncodeHeartbeat(const HeartbeatData& data);
remoting::Command BuildHeartbeat(const HeartbeatData& data);

// Tag expression "TagA || TagB" -> {"TagA","TagB"}; "*" or empty -> {} (match all).
std::vector<std::string> ParseTagExpression(std::string_view expression);

// LOCK_BATCH_MQ / UNLOCK_BATCH_MQ body and the lock answer (spec 2.4).
std::string EncodeLockBatchBody(const std::string& client_id, const std::string& group,
                                const std::vector<MessageQueue>& queues);
Result<std::vector<MessageQueue>> ParseLockBatchResponse(std::string_view body);
void AppendMessageQueueJson(std::string& out, const MessageQueue& mq);

// A non-success response as a Status keeping the broker's code and remark.
Status ResponseError(const remoting::Command& response, std::string_view what);

}  // namespace mq::client
