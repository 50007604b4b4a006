// Query and view (spec 3.4, 7.11): VIEW_MESSAGE_BY_ID (33) and QUERY_MESSAGE (12).
//
// Threads: VIEW reads the commit log on the connection's shard (ReadRecordAt works on any shard);
// QUERY runs the key index lookup on shard 0 (its owner) and answers on the connection's shard.
// Bodies are the stored records, sent zero-copy from the commit-log mapping.
//
// Encoding: answers use the request's header encoding. The captured 4.9.8 broker answers
// ROCKETMQ-encoded 12/33 requests that found something with JSON headers; every client decodes
// either, so mq stays consistent with the rest of the protocol.
// QUERY_MESSAGE's indexLastUpdateTimestamp / indexLastUpdatePhyoffset (sic, the captured spelling)
// are the newest store time and the dispatched commit-log offset (what the index has seen); 0/0
// with QUERY_NOT_FOUND, as captured.
#pragma once
#include "broker/broker_context.h"
#include "net/processor_table.h"

namespace mq::broker {

inline constexpr int32_t kMaxQueryHits = 64;  // QUERY_MESSAGE answers at most min(maxNum, this)

// Registers 12 and 33. `ctx` must outlive the shards' loops.
void RegisterQueryProcessors(BrokerContext& ctx, net::ProcessorTable& table);

}  // namespace mq::broker
