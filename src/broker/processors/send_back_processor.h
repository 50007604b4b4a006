// CONSUMER_SEND_MSG_BACK (36), spec 3.4 and 7.8: a consumer hands back a message it failed to
// consume. On the connection's shard: the group is ensured (auto-create rules) and the retry topic
// created if absent, both through the ControlPlane; the original record is read from the commit log
// (ReadRecordAt, any shard); the copy goes to %DLQ%<group> when its reconsumeTimes reached the max
// (or delayLevel < 0), else to %RETRY%<group> through SCHEDULE_TOPIC_XXXX with delay level
// 3 + reconsumeTimes (or the header's level). The put runs on store.ShardOf(target topic, queue).
// Answers: SUCCESS without ext fields (as captured), SUBSCRIPTION_GROUP_NOT_EXIST, NO_PERMISSION,
// SYSTEM_ERROR ("look message by offset failed, <n>" or the store status name).
#pragma once
#include <string_view>

#include "broker/broker_context.h"
#include "model/message_record.h"
#include "net/processor_table.h"

namespace mq::broker {

void RegisterSendBackProcessor(BrokerContext& ctx, net::ProcessorTable& table);

struct SendBackPlan {
  bool to_dlq = false;
  int32_t delay_level = 0;  // > 0: via SCHEDULE_TOPIC_XXXX
};
// Step 5 of 7.8 (pure).
SendBackPlan PlanSendBack(int32_t record_reconsume_times, int32_t max_reconsume_times, int32_t header_delay_level);

// Step 6 of 7.8 (pure): the new record from the original. `target_topic`/`queue_id` is the retry or
// DLQ queue; a positive `delay_level` (clamped to `delay_level_count`) reroutes it through
// SCHEDULE_TOPIC_XXXX. `original_offset_msg_id` is the offset msgId of the original record.
model::MessageRecord BuildSendBackRecord(const model::MessageRecord& original, std::string_view original_offset_msg_id,
                                         const std::string& target_topic, int32_t queue_id, int32_t delay_level,
                                         size_t delay_level_count);

}  // namespace mq::broker
