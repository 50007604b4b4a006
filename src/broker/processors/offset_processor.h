// Consumer offsets and queue offsets (spec 3.4, 7.7): QUERY_CONSUMER_OFFSET (14),
// UPDATE_CONSUMER_OFFSET (15, usually oneway: a oneway request is never answered), GET_MAX_OFFSET
// (30), GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32).
//
// Threads: the header is parsed on the connection's shard; the work runs on the queue's shard
// (store.ShardOf(topic, queueId)), which owns the queue and its committed offsets
// (ControlPlane::offsets()); the answer returns to the connection's shard.
//
// QUERY_CONSUMER_OFFSET without a committed offset applies the young-queue rule: 0 when the queue's
// min offset is 0 (no consume-queue file deleted yet) and its first entry is absent or still "hot"
// (commit-log bytes behind the write head <= accessMessageInMemoryMaxRatio % of RAM, the same test
// the reference applies); otherwise QUERY_NOT_FOUND.
// SEARCH_OFFSET_BY_TIMESTAMP answers the nearer neighbour (ties: the lower offset), the first
// offset before every message, the last message's offset after every message, 0 when empty.
#pragma once
#include "broker/broker_context.h"
#include "net/processor_table.h"

namespace mq::broker {

inline constexpr const char* kQueryOffsetNotFoundRemark =
    "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first";

// Registers 14, 15, 29, 30, 31, 32. `ctx` must outlive the shards' loops.
void RegisterOffsetProcessors(BrokerContext& ctx, net::ProcessorTable& table);

// Queue's shard: the offset SEARCH_OFFSET_BY_TIMESTAMP answers.
int64_t SearchOffsetByTimestamp(store::MessageStore& store, const std::string& topic, int32_t queue_id,
                                int64_t timestamp_ms);

}  // namespace mq::broker
