#include "broker/schedule/schedule_service.h"

#include <charconv>
#include <mutex>

#include "base/log.h"
#include "broker/broker_context.h"
#include "broker/metadata/json_file.h"
#include "broker/metadata/json_file_writer.h"
#include "broker/metadata/topic_config.h"
#include "model/properties.h"
#include "remoting/fastjson.h"

namespace mq::broker {

struct ScheduleService::State {
  State(const BrokerConfig& c, runtime::ShardSet& s, store::MessageStore& st)
      : config(c), shards(s), store(st), path(DelayOffsetJsonPath(c.store_path_root_dir)),
        offsets(std::make_unique<std::atomic<int64_t>[]>(c.delay_level_ms.size())) {
    for (size_t i = 0; i < c.delay_level_ms.size(); ++i) offsets[i].store(0);
  }
  size_t levels() const { return config.delay_level_ms.size(); }

  const BrokerConfig& config;
  runtime::ShardSet& shards;
  store::MessageStore& store;
  std::string path;
  std::unique_ptr<std::atomic<int64_t>[]> offsets;  // index level - 1; written by the level's shard
  std::atomic<bool> stopping{false};
  std::mutex persist_mu;  // the shard-0 timer and the final Stop() write the same file
  runtime::TimerId persist_timer = 0;  // shard 0
  JsonFileWriter* writer = nullptr;     // not owned; nullptr: synchronous writes

  // Snapshot and hand-over under persist_mu, so the file's generations follow the snapshots'
  // order. The periodic tick (shard 0) only queues the bytes; it does nothing once stopping.
  Status PersistOffsets(bool periodic) {
    std::lock_guard<std::mutex> lock(persist_mu);
    if (periodic && stopping.load()) return Status::Ok();
    std::map<int32_t, int64_t> snapshot;
    for (size_t i = 0; i < levels(); ++i) snapshot[static_cast<int32_t>(i + 1)] = offsets[i].load();
    std::string text = EncodeDelayOffsets(snapshot);
    if (writer != nullptr) return writer->Write(path, std::move(text));
    return PersistJsonFile(path, text);
  }
};

namespace {

using StatePtr = std::shared_ptr<ScheduleService::State>;

void Tick(const StatePtr& st, int32_t level);

void Later(const StatePtr& st, int32_t level, int64_t delay_ms) {
  if (st->stopping.load()) return;
  runtime::Shard* here = runtime::CurrentShard();
  if (delay_ms <= 0) {
    here->Defer([st, level] { Tick(st, level); });  // no recursion through synchronous puts
  } else {
    here->RunAfter(static_cast<uint64_t>(delay_ms), [st, level] { Tick(st, level); });
  }
}

// Runs `task` on `home`; when that ring is full, retries from here shortly rather than lose the chain.
void BackHome(const StatePtr& st, uint32_t home, runtime::Task task) {
  if (RunOn(st->shards, home, task)) return;
  runtime::CurrentShard()->RunAfter(10, [st, home, task] { BackHome(st, home, task); });
}

void Deliver(const StatePtr& st, int32_t level, model::MessageRecord record, int64_t next_offset) {
  const uint32_t home = runtime::CurrentShard()->id();
  const uint32_t target = st->store.ShardOf(record.topic, record.queue_id);
  auto records = std::make_shared<std::vector<model::MessageRecord>>();
  records->push_back(std::move(record));
  const bool queued = RunOn(st->shards, target, [st, records, level, home, next_offset] {
    const std::string topic = records->front().topic;
    st->store.Put(std::move(*records), false, [st, level, home, next_offset, topic](store::PutResult r) {
      const bool stored = r.status == store::PutStatus::kOk || r.status == store::PutStatus::kFlushDiskTimeout;
      const bool hopeless = r.status == store::PutStatus::kMessageIllegal;
      if (!stored) {
        MQ_LOG_WARN("schedule: level {} delivery to {} failed: {} {}", level, topic,
                    store::PutStatusName(r.status), r.remark);
      }
      BackHome(st, home, [st, level, next_offset, advance = stored || hopeless] {
        if (advance) st->offsets[static_cast<size_t>(level - 1)].store(next_offset);
        Later(st, level, advance ? 0 : kScheduleIdleRetryMs);
      });
    });
  });
  if (!queued) Later(st, level, kScheduleIdleRetryMs);
}

void Tick(const StatePtr& st, int32_t level) {
  if (st->stopping.load()) return;
  const size_t index = static_cast<size_t>(level - 1);
  const int64_t offset = st->offsets[index].load();
  store::GetResult got = st->store.Get(kScheduleTopic, level - 1, offset, 1, nullptr);
  using store::GetStatus;
  if (got.status == GetStatus::kNoMessageInQueue || got.status == GetStatus::kOffsetOverflowOne) {
    return Later(st, level, kScheduleIdleRetryMs);
  }
  if (got.status != GetStatus::kFound || got.messages.empty()) {
    // Offset out of range (retention, a restored store) or an unreadable unit: move on.
    if (got.next_begin_offset != offset) st->offsets[index].store(got.next_begin_offset);
    return Later(st, level, kScheduleIdleRetryMs);
  }
  const store::Slice& slice = got.messages.front();
  auto view = model::RecordView::Parse(slice.data, slice.size_bytes, false);
  const int64_t next = std::max(got.next_begin_offset, offset + 1);
  if (!view.ok()) {
    MQ_LOG_ERROR("schedule: level {} offset {} unreadable, skipped: {}", level, offset, view.status().ToString());
    st->offsets[index].store(next);
    return Later(st, level, 0);
  }
  const int64_t delay_ms = st->config.delay_level_ms[index];
  const int64_t now_ms = WallClockMs();
  int64_t deliver_ms = view->store_timestamp_ms() + delay_ms;  // = the unit's tags code
  if (deliver_ms > now_ms + delay_ms) deliver_ms = now_ms;      // clock went back: deliver now
  if (deliver_ms > now_ms) return Later(st, level, deliver_ms - now_ms);
  auto record = UnparkRecord(*view);
  if (!record.ok()) {
    MQ_LOG_ERROR("schedule: level {} offset {} skipped: {}", level, offset, record.status().ToString());
    st->offsets[index].store(next);
    return Later(st, level, 0);
  }
  Deliver(st, level, std::move(record).value(), next);
}

}  // namespace

std::string DelayOffsetJsonPath(const std::string& store_root) { return store_root + "/config/delayOffset.json"; }

Result<std::map<int32_t, int64_t>> ParseDelayOffsets(std::string_view json) {
  rapidjson::Document doc;
  if (Status s = remoting::ParseFastjson(json, doc); !s.ok()) return s;
  std::map<int32_t, int64_t> out;
  const rapidjson::Value* table = remoting::FindMember(doc, "offsetTable");
  if (table == nullptr || table->IsNull()) return out;
  if (!table->IsObject()) return Status::SystemError("delayOffset.json: offsetTable is not an object");
  for (auto it = table->MemberBegin(); it != table->MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    int32_t level = 0;
    auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), level);
    if (ec != std::errc() || ptr != key.data() + key.size() || level < 1 ||
        level > static_cast<int32_t>(kMaxDelayLevels)) {
      return Status::SystemError("delayOffset.json: bad level key '" + std::string(key) + "'");
    }
    auto value = remoting::GetInt64Member(*table, key, 0);
    if (!value.ok()) return value.status();
    out[level] = std::max<int64_t>(*value, 0);
  }
  return out;
}

std::string EncodeDelayOffsets(const std::map<int32_t, int64_t>& offsets) {
  std::string out = "{\"offsetTable\":{";
  bool first = true;
  for (const auto& [level, offset] : offsets) {
    if (!first) out += ',';
    first = false;
    out += '"' + std::to_string(level) + "\":" + std::to_string(offset);
  }
  out += "}}";
  return out;
}

Result<model::MessageRecord> UnparkRecord(const model::RecordView& parked) {
  model::MessageRecord r = parked.ToRecord();
  model::MessageProperties props = model::MessageProperties::Parse(r.properties);
  const auto real_topic = props.Get(model::kRealTopic);
  const auto real_qid = props.Get(model::kRealQid);
  int32_t qid = -1;
  if (real_qid) {
    auto [ptr, ec] = std::from_chars(real_qid->data(), real_qid->data() + real_qid->size(), qid);
    if (ec != std::errc() || ptr != real_qid->data() + real_qid->size()) qid = -1;
  }
  if (!real_topic || qid < 0) {
    return Status::Error(ResponseCode::kMessageIllegal, "parked message without a valid REAL_TOPIC / REAL_QID");
  }
  r.topic = std::string(*real_topic);
  r.queue_id = qid;
  props.Erase(model::kRealTopic);
  props.Erase(model::kRealQid);
  props.Erase(model::kDelay);
  r.properties = props.Encode();
  r.queue_offset = 0;
  r.physical_offset = 0;
  r.store_timestamp_ms = 0;
  return r;
}

ScheduleService::ScheduleService(const BrokerConfig& config, runtime::ShardSet& shards, store::MessageStore& store)
    : state_(std::make_shared<State>(config, shards, store)) {}

ScheduleService::~ScheduleService() { state_->stopping.store(true); }

Status ScheduleService::Load() {
  auto text = LoadJsonFile(state_->path);
  if (!text) return Status::Ok();
  auto offsets = ParseDelayOffsets(*text);
  if (!offsets.ok()) return offsets.status();
  for (const auto& [level, offset] : *offsets) {
    if (static_cast<size_t>(level) <= state_->levels()) state_->offsets[static_cast<size_t>(level - 1)].store(offset);
  }
  return Status::Ok();
}

void ScheduleService::Start() {
  StatePtr st = state_;
  if (!st->config.IsMaster()) return;
  for (size_t i = 0; i < st->levels(); ++i) {
    const int32_t level = static_cast<int32_t>(i + 1);
    const uint32_t owner = st->store.ShardOf(kScheduleTopic, level - 1);
    if (!st->shards.SubmitTo(owner, [st, level] { Later(st, level, kScheduleFirstRunMs); })) {
      MQ_LOG_ERROR("schedule: could not start level {} on shard {}", level, owner);
    }
  }
  const int64_t period_ms = std::max<int64_t>(st->config.flush_delay_offset_interval_ms, 100);
  st->shards.SubmitTo(0, [st, period_ms] {
    st->persist_timer = runtime::CurrentShard()->RunEvery(static_cast<uint64_t>(period_ms), [st] {
      if (st->stopping.load()) return;
      if (Status w = st->PersistOffsets(/*periodic=*/true); !w.ok()) {
        MQ_LOG_WARN("schedule: cannot persist {}: {}", st->path, w.ToString());
      }
    });
  });
}

void ScheduleService::Stop() {
  StatePtr st = state_;
  if (st->stopping.exchange(true)) return;
  st->shards.SubmitTo(0, [st] {
    if (st->persist_timer != 0) runtime::CurrentShard()->Cancel(st->persist_timer);
    st->persist_timer = 0;
  });
  if (Status s = Persist(); !s.ok()) MQ_LOG_WARN("schedule: final persist failed: {}", s.ToString());
}

Status ScheduleService::Persist() const { return state_->PersistOffsets(/*periodic=*/false); }

void ScheduleService::set_file_writer(JsonFileWriter* writer) { state_->writer = writer; }

int64_t ScheduleService::OffsetOf(int32_t level) const {
  if (level < 1 || static_cast<size_t>(level) > state_->levels()) return 0;
  return state_->offsets[static_cast<size_t>(level - 1)].load();
}

}  // namespace mq::broker
