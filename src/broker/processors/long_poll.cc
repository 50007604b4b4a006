#include "broker/processors/long_poll.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"

namespace mq::broker {

LongPollService::LongPollService(runtime::ShardSet& shards, LongPollOptions options)
    : shards_(shards), options_(options), holds_(shards.size()) {}

std::string LongPollService::Key(const std::string& topic, int32_t queue_id) {
  return topic + "@" + std::to_string(queue_id);
}

bool LongPollService::Hold(const std::string& topic, int32_t queue_id, int64_t offset, uint64_t hold_ms,
                           Rerun rerun) {
  runtime::Shard* here = runtime::CurrentShard();
  MQ_ASSERT(here != nullptr);
  ShardHolds& st = holds_.Get();
  if (st.count >= options_.max_held_per_shard) {
    MQ_LOG_WARN("shard {} holds {} pulls already: answering {}@{} at once", here->id(), st.count, topic, queue_id);
    return false;
  }
  auto held = std::make_shared<Held>();
  held->id = st.next_id++;
  held->wait_offset = offset;
  held->rerun = std::move(rerun);
  std::string key = Key(topic, queue_id);
  held->timer = here->RunAfter(std::max<uint64_t>(1, hold_ms), [this, key, id = held->id] { OnDeadline(key, id); });
  st.by_queue[key].push_back(std::move(held));
  ++st.count;
  return true;
}

void LongPollService::OnDeadline(const std::string& key, uint64_t id) {
  ShardHolds& st = holds_.Get();
  auto it = st.by_queue.find(key);
  if (it == st.by_queue.end()) return;
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(), [id](const auto& h) { return h->id == id; });
  if (pos == list.end()) return;
  std::shared_ptr<Held> held = std::move(*pos);
  list.erase(pos);
  if (list.empty()) st.by_queue.erase(it);
  --st.count;
  held->timer = 0;
  held->rerun(true);
}

void LongPollService::OnArrival(const std::string& topic, int32_t queue_id, int64_t max_offset) {
  ShardHolds& st = holds_.Get();
  if (st.count == 0) return;
  const std::string key = Key(topic, queue_id);
  auto it = st.by_queue.find(key);
  if (it == st.by_queue.end()) return;
  // Take the list out: a re-run answers through other shards' rings but never re-enters here.
  std::vector<std::shared_ptr<Held>> list = std::move(it->second);
  st.by_queue.erase(it);
  std::vector<std::shared_ptr<Held>> keep;
  runtime::Shard* here = runtime::CurrentShard();
  for (auto& held : list) {
    if (held->wait_offset >= max_offset) {
      keep.push_back(std::move(held));
      continue;
    }
    const RerunOutcome outcome = held->rerun(false);
    if (!outcome.answered) {
      held->wait_offset = outcome.wait_offset;
      keep.push_back(std::move(held));
      continue;
    }
    --st.count;
    if (held->timer != 0) here->Cancel(held->timer);
  }
  if (!keep.empty()) {
    auto& slot = st.by_queue[key];
    slot.insert(slot.end(), std::make_move_iterator(keep.begin()), std::make_move_iterator(keep.end()));
  }
}

store::ArrivalListener LongPollService::Listener() {
  return [this](const std::string& topic, int32_t queue_id, int64_t max_offset) {
    OnArrival(topic, queue_id, max_offset);
  };
}

size_t LongPollService::held_count() { return holds_.Get().count; }

}  // namespace mq::broker
