// MessageStore: the read side (spec 4.3 pull statuses, offsets, lookups by key and by offset).
#include <algorithm>

#include "base/bytes.h"
#include "model/message_layout.h"
#include "model/properties.h"
#include "store/index_service.h"
#include "store/message_store.h"
#include "store/shard_store_state.h"

namespace mq::store {
namespace {

// RocketMQ scans at most this many units per pull looking for matches (maxFilterMessageCount).
constexpr uint32_t kMaxUnitsScannedPerGet = 800;
// Smallest and largest plausible record: a TOTALSIZE outside is not a record start.
constexpr int32_t kMinRecordBytes = 91;

bool KeyMatches(const model::RecordView& view, std::string_view key) {
  const std::string_view props = view.properties();
  if (auto uniq = model::FindProperty(props, model::kUniqKey); uniq && *uniq == key) return true;
  auto keys = model::FindProperty(props, model::kKeys);
  if (!keys) return false;
  size_t pos = 0;
  while (pos <= keys->size()) {
    size_t end = keys->find(' ', pos);
    if (end == std::string_view::npos) end = keys->size();
    if (keys->substr(pos, end - pos) == key) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

const char* GetStatusName(GetStatus status) {
  switch (status) {
    case GetStatus::kFound: return "FOUND";
    case GetStatus::kNoMatchedMessage: return "NO_MATCHED_MESSAGE";
    case GetStatus::kMessageWasRemoving: return "MESSAGE_WAS_REMOVING";
    case GetStatus::kOffsetFoundNull: return "OFFSET_FOUND_NULL";
    case GetStatus::kOffsetOverflowBadly: return "OFFSET_OVERFLOW_BADLY";
    case GetStatus::kOffsetOverflowOne: return "OFFSET_OVERFLOW_ONE";
    case GetStatus::kOffsetTooSmall: return "OFFSET_TOO_SMALL";
    case GetStatus::kNoMessageInQueue: return "NO_MESSAGE_IN_QUEUE";
  }
  return "UNKNOWN";
}

GetResult MessageStore::Get(std::string_view topic, int32_t queue_id, int64_t offset, uint32_t max_count,
                            const TagsCodeFilter& filter) {
  GetResult r;
  ConsumeQueue* cq = Local().queues.Find(topic, queue_id);
  r.min_offset = cq ? cq->min_offset() : 0;
  r.max_offset = cq ? cq->max_offset() : 0;
  if (r.max_offset == 0) {
    r.status = GetStatus::kNoMessageInQueue;
    r.next_begin_offset = 0;
    return r;
  }
  if (offset < r.min_offset) {
    r.status = GetStatus::kOffsetTooSmall;
    r.next_begin_offset = r.min_offset;
    return r;
  }
  if (offset == r.max_offset) {
    r.status = GetStatus::kOffsetOverflowOne;
    r.next_begin_offset = offset;
    return r;
  }
  if (offset > r.max_offset) {
    r.status = GetStatus::kOffsetOverflowBadly;
    r.next_begin_offset = r.max_offset;
    return r;
  }
  const uint32_t want = std::max<uint32_t>(1, std::min(max_count, config_.max_transfer_count));
  std::vector<CqUnit> units;
  cq->Read(offset, std::max(kMaxUnitsScannedPerGet, want), units);
  if (units.empty()) {
    r.status = GetStatus::kOffsetFoundNull;
    r.next_begin_offset = offset + 1;
    return r;
  }
  bool removing = false;
  size_t consumed = 0;
  for (const CqUnit& unit : units) {
    if (r.messages.size() >= want) break;
    if (!r.messages.empty() && r.total_bytes + static_cast<size_t>(unit.size_bytes) > config_.max_transfer_bytes) break;
    ++consumed;
    if (unit.padding() || !unit.valid()) continue;
    if (filter && !filter(unit.tags_code)) continue;
    auto slice = commit_log_->Read(unit.phys_offset, static_cast<size_t>(unit.size_bytes));
    if (!slice.ok()) {  // below the commit log's min offset: retention removed it
      removing = true;
      continue;
    }
    r.total_bytes += slice->size_bytes;
    r.messages.push_back(std::move(slice).value());
  }
  r.next_begin_offset = offset + static_cast<int64_t>(consumed);
  r.status = !r.messages.empty() ? GetStatus::kFound
             : removing          ? GetStatus::kMessageWasRemoving
                                 : GetStatus::kNoMatchedMessage;
  return r;
}

int64_t MessageStore::MaxOffset(std::string_view topic, int32_t queue_id) {
  ConsumeQueue* cq = Local().queues.Find(topic, queue_id);
  return cq ? cq->max_offset() : 0;
}

int64_t MessageStore::MinOffset(std::string_view topic, int32_t queue_id) {
  ConsumeQueue* cq = Local().queues.Find(topic, queue_id);
  return cq ? cq->min_offset() : 0;
}

int64_t MessageStore::NextQueueOffset(std::string_view topic, int32_t queue_id) {
  ShardStoreState& st = Local();
  auto it = st.next_queue_offset.find(QueueKey(topic, queue_id));
  return it != st.next_queue_offset.end() ? it->second : MaxOffset(topic, queue_id);
}

Result<int64_t> MessageStore::StoreTimeAt(std::string_view topic, int32_t queue_id, int64_t offset) {
  ConsumeQueue* cq = Local().queues.Find(topic, queue_id);
  auto unit = cq ? cq->At(offset) : std::nullopt;
  if (!unit || !unit->valid() || unit->padding()) {
    return Status::Error(ResponseCode::kQueryNotFound, "no message at offset " + std::to_string(offset));
  }
  auto slice = commit_log_->Read(unit->phys_offset, static_cast<size_t>(unit->size_bytes));
  if (!slice.ok()) return slice.status();
  auto view = model::RecordView::Parse(slice->data, slice->size_bytes, false);
  if (!view.ok()) return view.status();
  return view->store_timestamp_ms();
}

int64_t MessageStore::OffsetByTimestamp(std::string_view topic, int32_t queue_id, int64_t timestamp_ms) {
  ConsumeQueue* cq = Local().queues.Find(topic, queue_id);
  if (cq == nullptr) return 0;
  // Store times grow with the queue offset: binary search for the first one >= timestamp_ms.
  int64_t lo = cq->min_offset();
  int64_t hi = cq->max_offset();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    auto t = StoreTimeAt(topic, queue_id, mid);
    if (!t.ok() || *t < timestamp_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void MessageStore::DeleteTopicQueues(std::string_view topic) {
  ShardStoreState& st = Local();
  st.queues.DestroyTopic(topic);
  // Files still being created for these queues are deleted when they arrive; parked units go with
  // their queue (as units in flight to a destroyed queue always did).
  for (auto& [path, job] : st.cq_file_jobs) {
    if (job.topic == topic) job.stale = true;
  }
  for (auto it = st.parked.begin(); it != st.parked.end();) {
    it = it->first.first == topic ? st.parked.erase(it) : std::next(it);
  }
  // Keys are "<topic>-<queueId>"; topic names may contain '-', so "a-b-0" is not a key of "a".
  const std::string prefix = std::string(topic) + "-";
  auto of_topic = [&prefix](const std::string& key) {
    if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix) != 0) return false;
    return key.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
  };
  for (auto it = st.next_queue_offset.begin(); it != st.next_queue_offset.end();) {
    it = of_topic(it->first) ? st.next_queue_offset.erase(it) : std::next(it);
  }
}

std::vector<Slice> MessageStore::QueryByKey(std::string_view topic, std::string_view key, size_t max_num,
                                            int64_t begin_ms, int64_t end_ms) {
  std::vector<Slice> out;
  if (!index_) return out;
  MQ_ASSERT(runtime::CurrentShard() == nullptr || runtime::CurrentShard()->id() == 0);
  IndexQueryResult hits = index_->QueryOffsets(topic, key, max_num, begin_ms, end_ms);
  for (int64_t phys : hits.phys_offsets) {
    auto slice = ReadRecordAt(phys);
    if (!slice.ok()) continue;
    auto view = model::RecordView::Parse(slice->data, slice->size_bytes, false);
    // The index stores hashes: drop collisions of another topic or key.
    if (!view.ok() || view->topic() != topic || !KeyMatches(*view, key)) continue;
    out.push_back(std::move(slice).value());
  }
  return out;
}

Result<Slice> MessageStore::ReadRecordAt(int64_t phys_offset) const {
  auto head = commit_log_->Read(phys_offset, 4);
  if (!head.ok()) return head.status();
  const int32_t size = static_cast<int32_t>(LoadBe32(head->data));
  const int64_t limit = static_cast<int64_t>(config_.max_message_bytes) + (64 << 10) + (1 << 16);
  if (size < kMinRecordBytes || size > limit) {
    return Status::SystemError("no message at commit-log offset " + std::to_string(phys_offset));
  }
  auto slice = commit_log_->Read(phys_offset, static_cast<size_t>(size));
  if (!slice.ok()) return slice.status();
  if (!model::RecordView::Parse(slice->data, slice->size_bytes, false).ok()) {
    return Status::SystemError("no message at commit-log offset " + std::to_string(phys_offset));
  }
  return slice;
}

}  // namespace mq::store
