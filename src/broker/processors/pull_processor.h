// PULL_MESSAGE (11), spec 3.4 / 4.3 / 7.5.
//
// Threads: the request arrives on its connection's shard, which runs the checks against its own
// replicas (broker READ permission, group (auto-created through ControlPlane::EnsureGroup on shard
// 0, answer back here), topic and queue, subscription). The read then runs on the queue's shard
// (store.ShardOf): store.Get with the subscription's tags-code filter, the piggy-backed commit
// offset (COMMIT_OFFSET, first run only, masters only) into that shard's ControlPlane::offsets(),
// and either the answer or a hold in ctx.long_poll (PULL_NOT_FOUND with SUSPEND). The answer's
// body is the records straight from the commit-log mapping (net::Connection::SendWithBody on the
// connection's shard; the store Slices pin their segments across shards).
//
// Holds: ctx.long_poll null means no long polling (a SUSPEND pull that finds nothing answers 19 at
// once). longPollingEnable=false holds for shortPollingTimeMills instead of the client's
// suspendTimeoutMillis (capped at kMaxSuspendTimeoutMs, below the clients' 30 s pull timeout).
// Known gaps: no SQL92 (non-TAG subscriptions are refused with SYSTEM_ERROR), no broadcasting
// check (consumeBroadcastEnable), no OFFSET_MOVED_EVENT message, no slow-consumer slave suggestion.
#pragma once
#include <cstdint>
#include <vector>

#include "broker/broker_context.h"
#include "net/connection.h"
#include "net/processor_table.h"
#include "remoting/command.h"
#include "store/commit_log.h"

namespace mq::broker {

inline constexpr int32_t kPullFlagCommitOffset = 0x1;
inline constexpr int32_t kPullFlagSuspend = 0x2;
inline constexpr int32_t kPullFlagSubscription = 0x4;
inline constexpr int32_t kPullFlagClassFilter = 0x8;

inline constexpr int64_t kDefaultSuspendTimeoutMs = 15000;  // when a SUSPEND pull sends none (or <= 0)
inline constexpr int64_t kMaxSuspendTimeoutMs = 20000;      // Go asks 20 s; clients give up after 30 s
inline constexpr int32_t kMaxPullBatch = 1024;             // maxMsgNums is clamped to [1, this]

class BrokerStats;
class GroupGetStats;
// Where found messages are counted, on the queue's shard (either may be null): the broker's
// msgGetTotal figures and the per (group, topic) rate behind consumeTps.
struct PullCounters {
  BrokerStats* broker = nullptr;
  GroupGetStats* group_gets = nullptr;
};

// Registers PULL_MESSAGE. `ctx` (and ctx.long_poll when set) and the counters must outlive the
// shards' loops.
void RegisterPullProcessors(BrokerContext& ctx, net::ProcessorTable& table, PullCounters counters = {});
// The handler itself (connection's shard).
void HandlePullMessage(BrokerContext& ctx, const net::ConnectionPtr& conn, remoting::Command&& request,
                       PullCounters counters = {});

// Store slices as body slices (each pins its segment).
std::vector<net::BodySlice> ToBodySlices(std::vector<store::Slice> slices);
// Sends header + body (zero-copy) on the connection's own shard: now if already there, else as a
// task (dropped with a warning when that ring is full).
void ReplyWithBodyOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn, remoting::Command header,
                             std::vector<net::BodySlice> body);

}  // namespace mq::broker
