#include "broker/processors/shard_gather.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace mq::broker {

std::vector<uint32_t> AllShards(runtime::ShardSet& shards) {
  std::vector<uint32_t> out(shards.size());
  for (uint32_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

void GatherQueues(BrokerContext& ctx, const QueueList& queues, RowFn fn,
                  std::function<void(std::optional<std::vector<QueueRow>>)> done) {
  auto by_shard = std::make_shared<std::map<uint32_t, QueueList>>();
  for (const auto& q : queues) (*by_shard)[ctx.store.ShardOf(q.first, q.second)].push_back(q);
  std::vector<uint32_t> targets;
  for (const auto& [shard, _] : *by_shard) targets.push_back(shard);
  FanOut<std::vector<QueueRow>>(
      ctx.shards, targets,
      [by_shard, fn](uint32_t shard) {
        std::vector<QueueRow> rows;
        for (const auto& [topic, qid] : by_shard->at(shard)) rows.push_back(fn(topic, qid));
        return rows;
      },
      [done](std::vector<std::vector<QueueRow>> parts, bool ok) {
        if (!ok) return done(std::nullopt);
        std::vector<QueueRow> rows;
        for (auto& part : parts) {
          for (auto& r : part) rows.push_back(std::move(r));
        }
        std::sort(rows.begin(), rows.end(), [](const QueueRow& x, const QueueRow& y) {
          return std::tie(x.topic, x.queue_id) < std::tie(y.topic, y.queue_id);
        });
        done(std::move(rows));
      });
}

}  // namespace mq::broker
