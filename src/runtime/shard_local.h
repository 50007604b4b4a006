// ShardLocal<T>: one T per shard, each touched only by its own shard's thread (shared-nothing
// replicas, e.g. a shard's copy of an immutable metadata snapshot). Slots are padded so shards never
// share a cache line. Broadcast runs a task on every shard (the way a control shard pushes a new
// snapshot to the replicas).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "base/assert.h"
#include "runtime/shard_set.h"

namespace mq::runtime {

template <typename T>
class ShardLocal {
 public:
  explicit ShardLocal(uint32_t shard_count) : slots_(shard_count) {}
  // The calling shard's slot; asserts it is called on a shard.
  T& Get() {
    Shard* here = CurrentShard();
    MQ_ASSERT(here != nullptr && here->id() < slots_.size());
    return slots_[here->id()].value;
  }
  // Another shard's slot: only before the shards start, or from that shard.
  T& At(uint32_t shard) {
    MQ_ASSERT(shard < slots_.size());
    return slots_[shard].value;
  }
  uint32_t size() const { return static_cast<uint32_t>(slots_.size()); }

 private:
  struct alignas(64) Slot {
    T value{};
  };
  std::vector<Slot> slots_;
};

// Runs task(shard_id) on every shard. Returns false if some ring was full (that shard missed it).
inline bool Broadcast(ShardSet& shards, const std::function<void(uint32_t)>& task) {
  bool all = true;
  for (uint32_t i = 0; i < shards.size(); ++i) {
    if (CurrentShard() != nullptr && CurrentShard()->id() == i) {
      task(i);
    } else {
      all = shards.SubmitTo(i, [task, i] { task(i); }) && all;
    }
  }
  return all;
}

}  // namespace mq::runtime
