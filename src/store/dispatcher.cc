#include "store/dispatcher.h"

#include "base/log.h"
#include "model/message_layout.h"
#include "model/message_id.h"
#include "model/properties.h"
#include "store/commit_log.h"
#include "store/index_service.h"

namespace mq::store {
namespace {

constexpr std::string_view kScheduleTopic = "SCHEDULE_TOPIC_XXXX";

}  // namespace

std::optional<DispatchUnit> UnitOf(const model::RecordView& record, int64_t phys_offset,
                                   const std::vector<int64_t>& delay_level_ms) {
  if (!model::TakesQueueOffset(record.sys_flag())) return std::nullopt;
  DispatchUnit unit;
  unit.topic = std::string(record.topic());
  unit.queue_id = record.queue_id();
  unit.queue_offset = record.queue_offset();
  unit.phys_offset = phys_offset;
  unit.size_bytes = static_cast<int32_t>(record.size_bytes());
  unit.store_timestamp_ms = record.store_timestamp_ms();
  const std::string_view props = record.properties();
  if (record.topic() == kScheduleTopic) {
    // The unit's tags code is the delivery time, so the schedule service can find due messages.
    int64_t level = 0;
    if (auto delay = model::FindProperty(props, model::kDelay)) {
      for (char c : *delay) {
        if (c < '0' || c > '9' || level > 1000) break;
        level = level * 10 + (c - '0');
      }
    }
    if (level > static_cast<int64_t>(delay_level_ms.size())) level = static_cast<int64_t>(delay_level_ms.size());
    unit.tags_code = unit.store_timestamp_ms + (level > 0 ? delay_level_ms[static_cast<size_t>(level - 1)] : 0);
  } else {
    unit.tags_code = model::TagsCodeOfProperties(props);
  }
  return unit;
}

void IndexRecord(IndexService& index, const model::RecordView& record, int64_t phys_offset) {
  if (model::GetTransactionType(record.sys_flag()) == model::TransactionType::kRollback) return;
  const std::string_view props = record.properties();
  const auto keys = model::FindProperty(props, model::kKeys);
  const auto uniq = model::FindProperty(props, model::kUniqKey);
  if (!keys && !uniq) return;
  auto st = index.BuildIndex(record.topic(), keys.value_or(std::string_view()), uniq.value_or(std::string_view()),
                             phys_offset, record.store_timestamp_ms());
  if (!st.ok()) MQ_LOG_ERROR("index: cannot index the record at {}: {}", phys_offset, st.ToString());
}

Dispatcher::Dispatcher(CommitLog& log, IndexService* index, std::vector<int64_t> delay_level_ms, ShardOfFn shard_of,
                       ApplyUnits apply, int64_t from_offset)
    : log_(log),
      index_(index),
      delay_level_ms_(std::move(delay_level_ms)),
      shard_of_(std::move(shard_of)),
      apply_(std::move(apply)),
      dispatched_(from_offset) {}

void Dispatcher::Start(runtime::ShardSet& shards) {
  shards_ = &shards;
  pending_.resize(shards.size());
  shards.SubmitTo(0, [this] {
    runtime::CurrentShard()->RunEvery(kBackstopMs, [this] { Round(); });
    Round();
  });
}

void Dispatcher::Kick() {
  if (shards_ == nullptr || scheduled_.exchange(true, std::memory_order_acq_rel)) return;
  runtime::Shard* here = runtime::CurrentShard();
  if (here != nullptr && here->id() == 0) {
    here->Defer([this] { Round(); });
  } else if (!shards_->SubmitTo(0, [this] { Round(); })) {
    scheduled_.store(false, std::memory_order_release);  // the backstop timer picks it up
  }
}

bool Dispatcher::FlushPending() {
  bool all_sent = true;
  for (uint32_t shard = 0; shard < pending_.size(); ++shard) {
    auto& units = pending_[shard];
    if (units.empty()) continue;
    if (shard == 0) {
      apply_(units);
      units.clear();
      continue;
    }
    auto batch = std::make_shared<std::vector<DispatchUnit>>(std::move(units));
    units.clear();
    if (!shards_->SubmitTo(shard, [this, batch] { apply_(*batch); })) {
      units = std::move(*batch);  // keep order: retried before anything newer
      all_sent = false;
    }
  }
  return all_sent;
}

void Dispatcher::Round() {
  // Cleared before reading the watermark, so a Kick racing with this round queues another one.
  scheduled_.store(false, std::memory_order_release);
  if (!FlushPending()) return;  // a ring is full: leave the rest for the backstop timer
  const int64_t from = dispatched_.load(std::memory_order_acquire);
  const int64_t committed = log_.committed_offset();
  if (from >= committed) return;
  size_t records = 0;
  // A visitor returning false leaves that record unconsumed, so the bound is checked first.
  ScanResult scanned = log_.Scan(from, committed, /*check_crc=*/false, [&](const ScannedRecord& rec) {
    if (records == kMaxRecordsPerRound) return false;
    ++records;
    if (auto unit = UnitOf(rec.view, rec.phys_offset, delay_level_ms_)) {
      pending_[shard_of_(unit->topic, unit->queue_id)].push_back(std::move(*unit));
    }
    if (index_ != nullptr) IndexRecord(*index_, rec.view, rec.phys_offset);
    return true;
  });
  if (scanned.hit_invalid) {
    MQ_LOG_ERROR("dispatch: invalid record at commit-log offset {}; dispatch stops there", scanned.end_offset);
  }
  MQ_ASSERT(scanned.end_offset >= from && scanned.end_offset <= committed);
  dispatched_.store(scanned.end_offset, std::memory_order_release);
  FlushPending();
  if (scanned.end_offset < committed && !scanned.hit_invalid) Kick();  // more to do: yield, then continue
}

}  // namespace mq::store
