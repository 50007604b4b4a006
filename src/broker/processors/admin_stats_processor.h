// Broker statistics for GET_BROKER_RUNTIME_INFO (28, spec 3.5): message counters and TPS.
//
// BrokerStats keeps one counter slot per shard, written only by its shard (relaxed atomics so the
// sampler on shard 0 may read every slot without a lock). Puts are counted where every stored
// message passes once: the store's arrival listener, which runs once per dispatched unit on the
// queue's shard (so retries and delayed copies count, as in the reference). Gets are the messages
// PULL_MESSAGE answers with (the pull path calls AddGot, see PullCounters).
//
// The sampler (shard 0, every second) keeps the last 600 s of totals for the 10/60/600 s TPS
// figures and rolls the "today morning" / "yesterday morning" counters at local midnight.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "broker/broker_context.h"
#include "net/processor_table.h"
#include "runtime/shard_set.h"
#include "store/message_store.h"

namespace mq::broker {

class BrokerStats {
 public:
  static constexpr size_t kWindowSeconds = 600;

  BrokerStats(uint32_t shard_count, int64_t boot_timestamp_ms);
  ~BrokerStats();

  // On the calling shard (its own slot).
  void AddPut(uint64_t messages);
  void AddGot(uint64_t messages);

  // Main thread after the shards run: starts the 1 s sampler on shard 0. Stop before the shards stop.
  void Start(runtime::ShardSet& shards);
  void Stop(runtime::ShardSet& shards);

  // Any thread.
  uint64_t TotalPut() const;
  uint64_t TotalGot() const;
  int64_t boot_timestamp_ms() const { return boot_timestamp_ms_; }

  struct Snapshot {
    uint64_t put_today_morning = 0, put_yesterday_morning = 0;
    uint64_t got_today_morning = 0, got_yesterday_morning = 0;
    double put_tps[3] = {0, 0, 0};  // last 10 s, 60 s, 600 s
    double got_tps[3] = {0, 0, 0};
  };
  // Shard 0 (the sampler's owner).
  Snapshot Sample() const;

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> put{0};
    std::atomic<uint64_t> got{0};
  };
  void Tick();  // shard 0

  std::unique_ptr<Slot[]> slots_;
  uint32_t shard_count_;
  int64_t boot_timestamp_ms_;
  // Shard 0 only: totals per second (ring), midnight roll-over.
  std::array<uint64_t, kWindowSeconds + 1> put_ring_{};
  std::array<uint64_t, kWindowSeconds + 1> got_ring_{};
  size_t ticks_ = 0;
  int day_ = -1;
  Snapshot morning_;
  runtime::TimerId timer_ = 0;
};

// The KVTable of GET_BROKER_RUNTIME_INFO (the keys the captured 4.9.8 answer carries; values as
// decimal strings). Any shard: reads only atomics, the commit log's offsets and the file system.
std::map<std::string, std::string> BuildRuntimeInfo(const BrokerConfig& config, store::MessageStore& store,
                                                    const BrokerStats& stats, const BrokerStats::Snapshot& sample,
                                                    int64_t now_ms);
// {"table":{...}} with fastjson string escaping.
std::string EncodeKvTable(const std::map<std::string, std::string>& table);
// Java's Double.toString for the values we print ("0.0", "4.0", "1.5").
std::string JavaDoubleString(double v);
// "[ 0 days, 0 hours, 0 minutes, 47 seconds ]"
std::string FormatRuntime(int64_t elapsed_ms);

// Queue and consumer statistics for admin tools (spec 2.5 / 3.5), in admin_stats_queues.cc:
//   GET_TOPIC_STATS_INFO (202), GET_CONSUMER_CONNECTION_LIST (203), GET_CONSUME_STATS (208),
//   QUERY_TOPIC_CONSUME_BY_WHO (300).
// Per-queue figures (offsets, store times, committed offsets) are read on each queue's shard
// (store.ShardOf), one task per shard; consumer groups are read on shard 0 (CallOnControl). The
// parts are gathered on the connection's shard, which answers. MessageQueue map keys use the
// fastjson object-key form Java mqadmin parses; entries are ordered by topic, then queue id.
// consumeTps in 208 comes from `tps_stats` (0.0 when null). ctx and tps_stats outlive the shards' loops.
class GroupGetStats;
void RegisterAdminStatsProcessors(BrokerContext& ctx, net::ProcessorTable& table,
                                  const GroupGetStats* tps_stats = nullptr);
// {"brokerName":"b","queueId":0,"topic":"T"}
void AppendMessageQueueKey(std::string& out, std::string_view broker_name, std::string_view topic, int32_t queue_id);

}  // namespace mq::broker
