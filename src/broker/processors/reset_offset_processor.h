// INVOKE_BROKER_TO_RESET_OFFSET (222), what mqadmin resetOffsetByTime sends: ext fields topic,
// group, timestamp (ms; -1 = the queue's max offset), isForce, all required.
//
// As RocketMQ 4.9.x's broker (Broker2Client.resetOffset): for every write queue of the topic, the
// group's committed offset must exist (else SYSTEM_ERROR "THe consumer group <g> not exist"); the
// target is the SEARCH_OFFSET_BY_TIMESTAMP answer (negative -> 0), taken when isForce or when it is
// below the committed offset, else the committed offset stays. The group must have clients online
// (else CONSUMER_NOT_ONLINE, on which mqadmin falls back to rewriting offsets itself with 15), all
// of version >= V3_0_7_SNAPSHOT (else SYSTEM_ERROR). Each client then gets a oneway
// RESET_CONSUMER_CLIENT_OFFSET (220) with header {topic, group, timestamp, isForce=false (the
// reference never sets it)} and body ResetOffsetBody {"offsetTable":{<MessageQueue>:offset}} (the
// list form ResetOffsetBodyForC when the 222 came from a CPP client), and the answer is SUCCESS
// with the ResetOffsetBody.
//
// Beyond 4.9.x, on success the broker also commits the new offsets itself (the reference leaves
// that to the consumers, which ignore 220 unless they are push consumers): the reset shows at once
// in consumerProgress and holds for pull consumers. Error answers change nothing.
//
// Threads: parsed on the connection's shard; committed offsets are read and written on each
// queue's shard; the group's clients are read on shard 0; each 220 is sent on its connection's shard.
#pragma once
#include <string>
#include <vector>

#include "broker/broker_context.h"
#include "broker/processors/shard_gather.h"
#include "net/processor_table.h"

namespace mq::broker {

inline constexpr int32_t kMinResetOffsetClientVersion = 28;  // MQVersion V3_0_7_SNAPSHOT

// Registers 222. `ctx` must outlive the shards' loops.
void RegisterResetOffsetProcessor(BrokerContext& ctx, net::ProcessorTable& table);

// Bodies from rows whose `b` is the offset: {"offsetTable":{<MessageQueue key>:offset,...}} and the
// CPP form {"offsetTable":[{"brokerName":..,"offset":..,"queueId":..,"topic":..},...]}.
std::string EncodeResetOffsetBody(const std::string& broker_name, const std::vector<QueueRow>& rows);
std::string EncodeResetOffsetBodyForC(const std::string& broker_name, const std::vector<QueueRow>& rows);
// MQVersion's enum name for an ordinal below V3_0_7_SNAPSHOT (what the version error shows).
std::string OldClientVersionName(int32_t ordinal);

}  // namespace mq::broker
