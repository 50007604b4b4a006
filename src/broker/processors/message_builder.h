// The produce path's pure part (spec 3.3, 5.7-5.9, 7.8): decoding a SEND header (long names on 10,
// one-letter names on 310/320, numbers and booleans as clients send them), validating what was read
// off the wire, and turning a request into the model::MessageRecords the store appends, including
// the DLQ redirect of retry sends, the delay rewrite into SCHEDULE_TOPIC_XXXX and the half-message
// rewrite of transactional sends. No shards, no I/O: every function here may run anywhere and is
// unit-tested against the captured frames of every client.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "broker/metadata/topic_config.h"
#include "model/host_address.h"
#include "model/message_record.h"
#include "model/properties.h"
#include "remoting/command.h"

namespace mq::broker {

constexpr int32_t kVersionHonoursMaxReconsume = 121;  // V3_4_9 (spec 1.8)
constexpr int32_t kMaxPropertiesBytes = 32767;
constexpr size_t kMaxBatchMessages = 65536;
constexpr std::string_view kTransHalfTopicName = "RMQ_SYS_TRANS_HALF_TOPIC";

struct SendHeader {
  std::string producer_group;
  std::string topic;
  std::string default_topic;
  int32_t default_topic_queue_nums = 0;
  int32_t queue_id = -1;  // < 0: the broker picks
  int32_t sys_flag = 0;
  int64_t born_timestamp_ms = 0;
  int32_t flag = 0;
  std::string properties;  // encoded (5.1), may be empty
  int32_t reconsume_times = 0;
  bool unit_mode = false;
  bool batch = false;
  std::optional<int32_t> max_reconsume_times;
};

// Reads the header of a SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) or SEND_BATCH_MESSAGE (320).
// Names follow the code, falling back to the other spelling when the topic is absent. A missing
// required field or a malformed number is SYSTEM_ERROR naming the field. `batch` comes from the
// header flag; code 320 without the flag is a batch too.
Result<SendHeader> DecodeSendHeader(const remoting::Command& request);

// Checks of the request itself (spec 3.3 step 3 and 4.1): topic name (SYSTEM_ERROR), empty body,
// body > max_message_size_bytes, properties > 32767 bytes (MESSAGE_ILLEGAL).
Status ValidateSendRequest(const SendHeader& header, std::string_view body, int64_t max_message_size_bytes);

// The DLQ threshold of a send or send-back to a retry topic (spec 1.8, 7.8 step 5).
int32_t ResolveMaxReconsumeTimes(std::optional<int32_t> header_value, int32_t request_version,
                                 int32_t group_retry_max_times);

// Delay level of a properties string (DELAY), 0 when absent or not a number.
int32_t DelayLevelOf(const model::MessageProperties& props);

// Encodes `props` in the iteration order of a java.util.HashMap that saw at most `max_size` entries:
// the order the reference broker writes stored properties in (verified on every record of the
// 4.9.8 fixture store), so our stored records are byte-identical to its.
std::string EncodeInJavaHashMapOrder(const model::MessageProperties& props, size_t max_size);

// What the processor resolved from its snapshots before building.
struct SendTarget {
  const TopicConfig* topic = nullptr;  // the addressed topic (never null)
  int32_t queue_id = 0;                // resolved, in [0, queue nums)
  std::string dlq_topic;               // non-empty: retry send past its max, store here (queue 0)
};

struct BuildOptions {
  std::string cluster_name;        // CLUSTER property
  model::HostAddress born_host;    // the connection's peer
  model::HostAddress store_host;   // brokerIP1:listenPort
  size_t delay_level_count = 18;   // messageDelayLevel entries
  bool reject_transaction_message = false;
};

struct BuiltSend {
  std::vector<model::MessageRecord> records;  // one topic and queue
  bool wait_store_ok = true;
  int32_t response_queue_id = 0;  // what the answer says (the original queue on a DLQ redirect)
};

// Builds the records of a validated request (spec 5.8, 5.9). Errors: a batch with a transaction
// flag, a delay level or a retry topic, or a malformed batch body (MESSAGE_ILLEGAL); a transaction
// message when rejectTransactionMessage (NO_PERMISSION).
Result<BuiltSend> BuildSendRecords(const SendHeader& header, std::string_view body, const SendTarget& target,
                                   const BuildOptions& options);

// The delay rewrite of 5.9 on a single record whose properties are `props` (DELAY already clamped
// by the caller to [1, levels]): REAL_TOPIC / REAL_QID added, topic and queue moved.
void RewriteForDelay(model::MessageRecord& record, model::MessageProperties& props, int32_t level);

}  // namespace mq::broker
