// Consumer-side helpers shared by the push and pull consumers, all blocking (service thread or
// user thread, never the I/O thread): queue allocation for one topic (spec 7.6), the start offset
// of a newly owned queue (spec 7.7) and the orderly broker locks (spec 7.10).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "client/client_instance.h"
#include "client/offset_store.h"
#include "mq/consumer.h"

namespace mq::client {

// Clustering: the averaging share of the topic's readable queues among the group's consumers
// (consumer ids from one broker hosting the topic). Broadcasting: every readable queue.
Result<std::vector<MessageQueue>> AllocateQueues(ClientInstance& inst, const std::string& group,
                                                 const std::string& topic, bool clustering);

// Stored offset, else the consume-from-where rule (retry topics start at 0).
Result<int64_t> ComputeStartOffset(ClientInstance& inst, OffsetStore& store, const MessageQueue& mq,
                                   ConsumeFromWhere from_where, int64_t timestamp_ms);

Result<int64_t> QueryQueueOffset(ClientInstance& inst, const MessageQueue& mq, bool max);
Result<int64_t> SearchOffsetByTime(ClientInstance& inst, const MessageQueue& mq, int64_t timestamp_ms);

// LOCK_BATCH_MQ to the master of `queues` (all of one broker); returns the queues now locked.
Result<std::vector<MessageQueue>> LockQueues(ClientInstance& inst, const std::string& group,
                                             const std::vector<MessageQueue>& queues);
void UnlockQueues(ClientInstance& inst, const std::string& group, const std::vector<MessageQueue>& queues);

}  // namespace mq::client
