// Gathering per-queue figures for admin answers (202, 208, 222): work runs on the shards that own
// the data, the parts come back to the calling shard, which answers. Nothing here blocks; a shard
// whose ring is full makes the whole gather report failure (the caller answers SYSTEM_BUSY).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "base/log.h"
#include "broker/broker_context.h"

namespace mq::broker {

// Runs work(target) on every shard of `targets` and finish(results, ok) back on the calling shard
// (results in `targets` order). ok == false when a task could not be queued (its result is T{}).
template <typename T>
void FanOut(runtime::ShardSet& shards, const std::vector<uint32_t>& targets, std::function<T(uint32_t)> work,
            std::function<void(std::vector<T>, bool)> finish) {
  struct State {
    std::vector<T> results;
    size_t pending = 0;
    bool ok = true;
    std::function<void(std::vector<T>, bool)> finish;
  };
  runtime::Shard* here = runtime::CurrentShard();
  MQ_ASSERT(here != nullptr);
  const uint32_t home = here->id();
  auto state = std::make_shared<State>();
  state->results.resize(targets.size());
  state->pending = targets.size();
  state->finish = std::move(finish);
  if (targets.empty()) return state->finish({}, true);
  auto arrive = [state] {  // on `home`
    if (--state->pending == 0) state->finish(std::move(state->results), state->ok);
  };
  for (size_t i = 0; i < targets.size(); ++i) {
    const uint32_t target = targets[i];
    const bool queued = RunOn(shards, target, [&shards, state, work, arrive, i, target, home] {
      auto result = std::make_shared<T>(work(target));
      if (!RunOn(shards, home, [state, arrive, i, result] {
            state->results[i] = std::move(*result);
            arrive();
          })) {
        MQ_LOG_WARN("admin gather: shard {} ring full, a gathered answer is lost", home);
      }
    });
    if (!queued) {
      state->ok = false;
      arrive();
    }
  }
}

std::vector<uint32_t> AllShards(runtime::ShardSet& shards);

// One queue's figures: a, b, c are whatever the caller's row function computes.
struct QueueRow {
  std::string topic;
  int32_t queue_id = 0;
  int64_t a = 0, b = 0, c = 0;
};
using QueueList = std::vector<std::pair<std::string, int32_t>>;
using RowFn = std::function<QueueRow(const std::string& topic, int32_t queue_id)>;  // on the queue's shard

// Computes `fn` for every (topic, queue) on the queue's shard; done(rows sorted by topic, queue) on
// the calling shard, or done(nullopt) when a shard was too busy.
void GatherQueues(BrokerContext& ctx, const QueueList& queues, RowFn fn,
                  std::function<void(std::optional<std::vector<QueueRow>>)> done);

}  // namespace mq::broker
