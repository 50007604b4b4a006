// Messages pulled per (consumer group, topic): the figure behind GET_CONSUME_STATS' consumeTps
// (the reference's GROUP_GET_NUMS statistic, a moving rate over the last minute).
//
// Shared-nothing: each shard counts the pulls it answers (a pull runs on its queue's shard) in its
// own table, so Add is a hash lookup and an increment, no atomics, no locks. A timer on every shard
// samples its counters each sample_interval_ms and keeps the last kSamples samples per key; a rate
// is (newest - oldest) / (their time apart), i.e. over up to (kSamples - 1) intervals: 60 s with the
// default 10 s interval, as in the reference. GET_CONSUME_STATS asks every shard for its part and
// adds the parts up. Keys that saw no pull for a whole window are dropped; at most
// kMaxKeysPerShard keys are tracked per shard (further keys are not counted).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/shard_local.h"
#include "runtime/shard_set.h"

namespace mq::broker {

class GroupGetStats {
 public:
  static constexpr size_t kSamples = 7;
  static constexpr size_t kMaxKeysPerShard = 1u << 16;
  static constexpr uint64_t kDefaultSampleIntervalMs = 10000;

  explicit GroupGetStats(uint32_t shard_count, uint64_t sample_interval_ms = kDefaultSampleIntervalMs);

  // On the calling shard (its own table).
  void Add(std::string_view group, std::string_view topic, uint64_t messages);
  // The calling shard's part of the rate, messages per second.
  double Tps(std::string_view group, std::string_view topic) const;
  // The calling shard's table size (for tests and bounds).
  size_t KeysOnThisShard() const;

  // Main thread once the shards run (timers on every shard); Stop before the shards stop.
  void Start(runtime::ShardSet& shards);
  void Stop(runtime::ShardSet& shards);

 private:
  struct Sample {
    int64_t at_ms = 0;
    uint64_t total = 0;
  };
  struct Item {
    uint64_t total = 0;
    std::array<Sample, kSamples> ring{};  // ring[(first + i) % kSamples], i < count
    size_t first = 0;
    size_t count = 0;
    void Push(Sample s);
    const Sample& Oldest() const { return ring[first]; }
    const Sample& Newest() const { return ring[(first + count - 1) % kSamples]; }
  };
  struct Key {
    std::string group;
    std::string topic;
  };
  using KeyView = std::pair<std::string_view, std::string_view>;  // (group, topic)
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(KeyView k) const;
    size_t operator()(const Key& k) const { return (*this)(KeyView{k.group, k.topic}); }
  };
  struct KeyEq {
    using is_transparent = void;
    static KeyView View(const Key& k) { return {k.group, k.topic}; }
    static KeyView View(KeyView k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const { return View(a) == View(b); }
  };
  struct Table {
    std::unordered_map<Key, Item, KeyHash, KeyEq> items;
    runtime::TimerId timer = 0;
    bool full_logged = false;
  };
  void Tick();  // on each shard, its own table

  mutable runtime::ShardLocal<Table> tables_;  // mutable: ShardLocal has no const accessor
  uint64_t sample_interval_ms_;
};

}  // namespace mq::broker
