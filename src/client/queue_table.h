// Bodies keyed by MessageQueue objects, as fastjson writes Java maps whose keys are objects:
// {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:12,...}} (the key object itself
// stands where a string key would; no strict JSON parser takes it). Used by the broker's
// RESET_CONSUMER_CLIENT_OFFSET body (ResetOffsetBody), Java's broadcasting offsets file
// (OffsetSerializeWrapper, written pretty-printed by Java) and GET_CONSUMER_RUNNING_INFO's mqTable.
// Pure functions.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "client/protocol.h"
#include "mq/message.h"

namespace mq::client {

// The `member` table of `body` with integer values. Whitespace anywhere is accepted (Java's
// offsets file is pretty-printed). Absent member: an empty table. Malformed: an error.
Result<std::map<MessageQueue, int64_t>> ParseQueueOffsetTable(std::string_view body,
                                                               std::string_view member = "offsetTable");
// {"offsetTable":{<queue>:<offset>,...}} in Java's key order.
std::string EncodeQueueOffsetTable(const std::map<MessageQueue, int64_t>& table);
// {"brokerName":..,"queueId":..,"topic":..}
void AppendQueueKey(std::string& out, const MessageQueue& mq);

// GET_CONSUMER_RUNNING_INFO answer (Java's ConsumerRunningInfo; mqadmin consumerStatus and the
// dashboard read it).
struct QueueRunningInfo {
  int64_t commit_offset = -1;
  int64_t cached_min_offset = 0;
  int64_t cached_max_offset = 0;
  int64_t cached_count = 0;
  bool locked = false;
  int64_t last_lock_ms = 0;
  bool dropped = false;
  int64_t last_pull_ms = 0;
  int64_t last_consume_ms = 0;
};
struct RunningInfo {
  std::map<std::string, std::string> properties;
  std::vector<SubscriptionData> subscriptions;
  std::map<MessageQueue, QueueRunningInfo> queues;
};
// Keys in fastjson's alphabetical order; statusTable has one zeroed ConsumeStatus per subscribed
// topic (no rate statistics are kept).
std::string EncodeRunningInfo(const RunningInfo& info);

}  // namespace mq::client
