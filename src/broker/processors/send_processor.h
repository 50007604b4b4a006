// SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320; and any send whose header
// says batch=true): spec 3.3 "Send processing". A request is decoded and validated on its
// connection's shard against that shard's topic/group snapshots; missing topics, retry-topic groups
// and DLQ topics are ensured through the ControlPlane (shard 0, async); the records are then put on
// store.ShardOf(topic, queue) and the answer goes back with ReplyOnOwnShard. Oneway sends are never
// answered. A full cross-shard ring answers SYSTEM_BUSY "[REJECTREQUEST]..." instead of queueing.
//
// The context must outlive the shards (the Broker owns it); handlers keep a pointer to it.
#pragma once
#include <cstdint>
#include <string>

#include "broker/broker_context.h"
#include "net/processor_table.h"
#include "store/message_store.h"

namespace mq::broker {

void RegisterSendProcessors(BrokerContext& ctx, net::ProcessorTable& table);

// Spec 4.2: the SEND response code of a store result.
ResponseCode SendCodeOf(store::PutStatus status);

// The send answer for a store result: code per 4.2; on success-type codes the full header (msgId =
// comma-joined offset msgIds, queueId, queueOffset), and always MSG_REGION / TRACE_ON, in the member
// order the reference writes for the request's encoding.
remoting::Command SendResponse(const remoting::Command& request, const BrokerConfig& config,
                               const std::string& store_host, int32_t queue_id, const store::PutResult& result);
// An error answer that still carries MSG_REGION / TRACE_ON (the reference adds them to every send
// response).
remoting::Command SendError(const remoting::Command& request, const BrokerConfig& config, const Status& status);

}  // namespace mq::broker
