#include "broker/processors/group_get_stats.h"

#include <functional>

#include "base/log.h"

namespace mq::broker {

void GroupGetStats::Item::Push(Sample s) {
  if (count < kSamples) {
    ring[(first + count) % kSamples] = s;
    ++count;
  } else {
    ring[first] = s;  // overwrite the oldest
    first = (first + 1) % kSamples;
  }
}

size_t GroupGetStats::KeyHash::operator()(KeyView k) const {
  const size_t g = std::hash<std::string_view>{}(k.first);
  const size_t t = std::hash<std::string_view>{}(k.second);
  return g ^ (t + 0x9e3779b97f4a7c15ULL + (g << 6) + (g >> 2));
}

GroupGetStats::GroupGetStats(uint32_t shard_count, uint64_t sample_interval_ms)
    : tables_(shard_count), sample_interval_ms_(sample_interval_ms == 0 ? 1 : sample_interval_ms) {}

void GroupGetStats::Add(std::string_view group, std::string_view topic, uint64_t messages) {
  if (messages == 0) return;
  Table& t = tables_.Get();
  auto it = t.items.find(KeyView{group, topic});
  if (it == t.items.end()) {
    if (t.items.size() >= kMaxKeysPerShard) {
      if (!t.full_logged) MQ_LOG_WARN("consume stats: more than {} group/topic pairs on a shard; not counting more", kMaxKeysPerShard);
      t.full_logged = true;
      return;
    }
    it = t.items.emplace(Key{std::string(group), std::string(topic)}, Item{}).first;
    // A zero sample now, so the first pulls count towards the rate once the next sample is taken.
    it->second.Push(Sample{runtime::CurrentShard()->now_ms(), 0});
  }
  it->second.total += messages;
}

double GroupGetStats::Tps(std::string_view group, std::string_view topic) const {
  const Table& t = tables_.Get();
  auto it = t.items.find(KeyView{group, topic});
  if (it == t.items.end() || it->second.count < 2) return 0.0;
  const Sample& oldest = it->second.Oldest();
  const Sample& newest = it->second.Newest();
  if (newest.at_ms <= oldest.at_ms) return 0.0;
  return static_cast<double>(newest.total - oldest.total) * 1000.0 / static_cast<double>(newest.at_ms - oldest.at_ms);
}

size_t GroupGetStats::KeysOnThisShard() const {
  return tables_.Get().items.size();
}

void GroupGetStats::Tick() {
  Table& t = tables_.Get();
  const int64_t now = runtime::CurrentShard()->now_ms();
  for (auto it = t.items.begin(); it != t.items.end();) {
    Item& item = it->second;
    item.Push(Sample{now, item.total});
    // A full window without a pull: the rate is 0 and stays 0, forget the key.
    if (item.count == kSamples && item.Oldest().total == item.total) {
      it = t.items.erase(it);
    } else {
      ++it;
    }
  }
}

void GroupGetStats::Start(runtime::ShardSet& shards) {
  runtime::Broadcast(shards, [this](uint32_t) {
    Table& t = tables_.Get();
    if (t.timer == 0) t.timer = runtime::CurrentShard()->RunEvery(sample_interval_ms_, [this] { Tick(); });
  });
}

void GroupGetStats::Stop(runtime::ShardSet& shards) {
  runtime::Broadcast(shards, [this](uint32_t) {
    Table& t = tables_.Get();
    if (t.timer != 0) runtime::CurrentShard()->Cancel(t.timer);
    t.timer = 0;
  });
}

}  // namespace mq::broker
