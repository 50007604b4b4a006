// MessageStore: opening and recovery, start/shutdown, the put path, background duties.
#include "store/message_store.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <sys/stat.h>

#include "base/hash.h"
#include "base/log.h"
#include "store/checkpoint.h"
#include "store/disk_usage.h"
#include "store/dispatcher.h"
#include "store/flush_service.h"
#include "store/index_service.h"
#include "store/shard_store_state.h"
#include "store/store_files.h"
#include "store/store_io_worker.h"

namespace mq::store {
namespace {

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// deleteWhen: "04" or "04;16": is the local hour one of them?
bool IsDeleteHour(const std::string& delete_when, int64_t now_ms) {
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm local{};
  localtime_r(&t, &local);
  size_t pos = 0;
  while (pos <= delete_when.size()) {
    size_t end = delete_when.find(';', pos);
    if (end == std::string::npos) end = delete_when.size();
    const std::string hour = delete_when.substr(pos, end - pos);
    if (!hour.empty() && hour.size() <= 2 && std::to_string(local.tm_hour) == std::to_string(std::atoi(hour.c_str()))) {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

}  // namespace

const char* PutStatusName(PutStatus status) {
  switch (status) {
    case PutStatus::kOk: return "PUT_OK";
    case PutStatus::kFlushDiskTimeout: return "FLUSH_DISK_TIMEOUT";
    case PutStatus::kServiceNotAvailable: return "SERVICE_NOT_AVAILABLE";
    case PutStatus::kMessageIllegal: return "MESSAGE_ILLEGAL";
    case PutStatus::kUnknownError: return "UNKNOWN_ERROR";
  }
  return "UNKNOWN_ERROR";
}

MessageStore::~MessageStore() { Shutdown(); }

uint32_t MessageStore::ShardOf(std::string_view topic, int32_t queue_id) const {
  const uint32_t h = static_cast<uint32_t>(JavaStringHash(topic)) * 31u + static_cast<uint32_t>(queue_id);
  return h % shard_count_;
}

ShardStoreState& MessageStore::Local() {
  runtime::Shard* here = runtime::CurrentShard();
  MQ_ASSERT(here != nullptr && here->id() < shard_state_.size());
  return *shard_state_[here->id()];
}

int64_t MessageStore::dispatched_offset() const { return dispatcher_ ? dispatcher_->dispatched_offset() : 0; }

Result<std::unique_ptr<MessageStore>> MessageStore::Open(const MessageStoreConfig& config, uint32_t shard_count) {
  MQ_ASSERT(shard_count > 0);
  std::unique_ptr<MessageStore> store(new MessageStore());
  store->config_ = config;
  store->shard_count_ = shard_count;
  if (auto st = store->Recover(); !st.ok()) return st;
  return store;
}

Status MessageStore::Recover() {
  auto lock = StoreLock::Acquire(config_.root_dir);
  if (!lock.ok()) return lock.status();
  lock_ = std::move(lock).value();
  abnormal_start_ = AbortFileExists(config_.root_dir);
  auto checkpoint = Checkpoint::Open(config_.root_dir + "/checkpoint");
  if (!checkpoint.ok()) return checkpoint.status();
  checkpoint_ = std::move(checkpoint).value();

  CommitLogOptions log_options;
  log_options.dir = config_.commit_log_dir;
  log_options.segment_size_bytes = config_.commit_log_segment_bytes;
  log_options.check_crc_on_recover = config_.check_crc_on_recover;
  log_options.want_next_segment = [this] {
    if (flush_) flush_->WakePreparer();
  };
  auto log = CommitLog::Open(std::move(log_options));
  if (!log.ok()) return log.status();
  commit_log_ = std::move(log).value();

  for (uint32_t i = 0; i < shard_count_; ++i) {
    shard_state_.push_back(std::make_unique<ShardStoreState>(config_.root_dir, config_.cq_units_per_file));
    auto owns = [this, i](std::string_view topic, int32_t queue_id) { return ShardOf(topic, queue_id) == i; };
    if (auto st = shard_state_.back()->queues.Load(owns); !st.ok()) return st;
  }
  if (config_.message_index_enable) {
    index_ = std::make_unique<IndexService>(config_.root_dir, config_.max_hash_slots, config_.max_index_count);
    if (auto st = index_->Load(!abnormal_start_, checkpoint_->index_ms()); !st.ok()) return st;
  }
  int64_t cq_phys_end = 0;
  for (auto& s : shard_state_) cq_phys_end = std::max(cq_phys_end, s->queues.Recover());

  // Re-dispatch a recovered record straight into its queue and the index (single thread here).
  auto apply = [this](const ScannedRecord& rec) {
    if (auto unit = UnitOf(rec.view, rec.phys_offset, config_.delay_level_ms)) {
      AppendUnit(shard_state_[ShardOf(unit->topic, unit->queue_id)]->queues, *unit);
    }
    if (index_) IndexRecord(*index_, rec.view, rec.phys_offset);
  };
  const bool index_safe = config_.message_index_enable && config_.message_index_safe;
  const int64_t min_ts = index_safe ? checkpoint_->MinTimestampIndexMs() : checkpoint_->MinTimestampMs();
  auto end = commit_log_->Recover(abnormal_start_ ? RecoveryMode::kAbnormal : RecoveryMode::kNormal, min_ts,
                                  abnormal_start_ ? std::function<void(const ScannedRecord&)>(apply) : nullptr);
  if (!end.ok()) return end.status();
  if (cq_phys_end >= *end) {
    for (auto& s : shard_state_) s->queues.TruncateDirty(*end);
  }
  // Records appended but not dispatched before the stop get their units now (spec 6.6 step 6).
  int64_t from = commit_log_->min_offset();
  for (auto& s : shard_state_) {
    s->queues.ForEach([&from](ConsumeQueue& q) { from = std::max(from, q.max_phys_end()); });
  }
  if (from < *end) {
    commit_log_->Scan(from, *end, false, [&](const ScannedRecord& rec) {
      apply(rec);
      return true;
    });
  }
  for (auto& s : shard_state_) s->queues.CorrectMinOffset(commit_log_->min_offset());
  MQ_LOG_INFO("store {} recovered ({} exit): commit log [{}, {}), {} shards", config_.root_dir,
              abnormal_start_ ? "abnormal" : "clean", commit_log_->min_offset(), *end, shard_count_);

  disk_ = std::make_unique<DiskSpaceGuard>(config_.commit_log_dir);
  disk_->Refresh();
  FlushOptions flush_options;
  flush_options.mode = config_.flush_mode;
  flush_options.flush_interval_ms = config_.flush_interval_ms;
  flush_options.flush_least_pages = config_.flush_least_pages;
  flush_options.thorough_interval_ms = config_.flush_thorough_interval_ms;
  flush_options.sync_flush_timeout_ms = config_.sync_flush_timeout_ms;
  flush_options.on_flushed = [this](int64_t, int64_t physic_ms) { checkpoint_->set_physic_ms(physic_ms); };
  flush_ = std::make_unique<FlushService>(*commit_log_, flush_options);
  io_ = std::make_unique<StoreIoWorker>(shard_count_);
  for (auto& s : shard_state_) {
    s->waiters = std::make_unique<SyncFlushWaiters>(*flush_);
    // Units older than the checkpoint's logics time were durable before this start and still are;
    // what recovery re-dispatched is not synced yet, so the time stays there until a thorough flush.
    s->flushed_unit_timestamp_ms.store(checkpoint_->logics_ms(), std::memory_order_release);
  }
  dispatcher_ = std::make_unique<Dispatcher>(
      *commit_log_, index_.get(), config_.delay_level_ms,
      [this](std::string_view topic, int32_t queue_id) { return ShardOf(topic, queue_id); },
      [this](std::vector<DispatchUnit>& units) { ApplyUnits(units); }, *end);
  return CreateAbortFile(config_.root_dir);
}

bool MessageStore::AppendUnit(ConsumeQueueTable& queues, const DispatchUnit& u) {
  ConsumeQueue& cq = queues.FindOrCreate(u.topic, u.queue_id);
  if (u.phys_offset + u.size_bytes <= cq.max_phys_end()) return false;  // already there (re-dispatch)
  if (cq.max_offset() != 0 && u.queue_offset != cq.max_offset()) {
    // Only a queue destroyed while its units were in flight gets here: drop, never corrupt it.
    MQ_LOG_WARN("consume queue {}-{}: unit for offset {} skipped, queue is at {}", u.topic, u.queue_id,
                u.queue_offset, cq.max_offset());
    return false;
  }
  if (auto s = cq.Append(u.queue_offset, u.phys_offset, u.size_bytes, u.tags_code); !s.ok()) {
    MQ_LOG_ERROR("consume queue {}-{} append failed: {}", u.topic, u.queue_id, s.ToString());
    return false;
  }
  return true;
}

void MessageStore::ApplyUnits(std::vector<DispatchUnit>& units) {
  ShardStoreState& st = Local();
  for (DispatchUnit& u : units) {
    ConsumeQueue& cq = st.queues.FindOrCreate(u.topic, u.queue_id);
    if (!st.parked.empty()) {
      auto parked = st.parked.find(std::make_pair(u.topic, u.queue_id));
      if (parked != st.parked.end()) {  // behind units still waiting for their file: keep the order
        parked->second.push_back(std::move(u));
        continue;
      }
    }
    // A unit that needs a file nobody made yet waits for the worker instead of blocking the shard.
    const bool fresh = u.phys_offset + u.size_bytes > cq.max_phys_end() &&
                       (cq.max_offset() == 0 || u.queue_offset == cq.max_offset());
    if (fresh) {
      if (auto start = cq.FileStartNeededFor(u.queue_offset); start && RequestCqFile(st, cq, *start)) {
        auto& q = st.parked[std::make_pair(u.topic, u.queue_id)];
        q.push_back(std::move(u));
        continue;
      }
    }
    if (!AppendUnit(st.queues, u)) continue;
    st.applied_unit_timestamp_ms = std::max(st.applied_unit_timestamp_ms, u.store_timestamp_ms);
    st.has_units = true;
    PrepareCqFileFor(st, cq, cq.max_offset(), /*ahead=*/true);
    if (arrival_) arrival_(u.topic, u.queue_id, cq.max_offset());
  }
}

void MessageStore::EnsureIoPoll(ShardStoreState& st) {
  if (st.io_poll_timer != 0) return;
  runtime::Shard* shard = runtime::CurrentShard();
  const uint32_t id = shard->id();
  ShardStoreState* state = &st;
  st.io_poll_timer = shard->RunEvery(1, [this, state, shard, id] {
    io_->Poll(id);
    if (io_->outstanding(id) == 0 && state->io_poll_timer != 0) {
      shard->Cancel(state->io_poll_timer);
      state->io_poll_timer = 0;
    }
  });
}

bool MessageStore::RequestCqFile(ShardStoreState& st, ConsumeQueue& cq, int64_t start_bytes) {
  if (!io_ || !io_->running()) return false;
  std::string path = cq.dir() + "/" + FileNameForOffset(start_bytes);
  if (st.cq_file_jobs.count(path) != 0) return true;  // already on its way
  StoreIoWorker::Job job = [this, path, dir = cq.dir(), start_bytes, bytes = cq.file_bytes()]() -> StoreIoWorker::Completion {
    auto made = ConsumeQueue::CreateFile(dir, start_bytes, bytes);
    return [this, path, made = std::move(made)]() mutable { OnCqFileCreated(path, std::move(made)); };
  };
  const uint32_t id = runtime::CurrentShard()->id();
  if (!io_->Submit(id, job)) return false;
  st.cq_file_jobs.emplace(std::move(path), ShardStoreState::CqFileJob{cq.topic(), cq.queue_id(), false});
  EnsureIoPoll(st);
  return true;
}

void MessageStore::PrepareCqFileFor(ShardStoreState& st, ConsumeQueue& cq, int64_t queue_offset, bool ahead) {
  if (auto start = cq.FileStartNeededFor(queue_offset, ahead)) (void)RequestCqFile(st, cq, *start);
}

void MessageStore::OnCqFileCreated(const std::string& path, Result<std::shared_ptr<MappedFile>> file) {
  ShardStoreState& st = Local();
  auto it = st.cq_file_jobs.find(path);
  MQ_ASSERT(it != st.cq_file_jobs.end());
  const ShardStoreState::CqFileJob job = std::move(it->second);
  st.cq_file_jobs.erase(it);
  ConsumeQueue* cq = job.stale ? nullptr : st.queues.Find(job.topic, job.queue_id);
  const bool created = file.ok();
  if (!created) {
    MQ_LOG_ERROR("consume queue {}-{}: cannot create {}: {}", job.topic, job.queue_id, path, file.status().ToString());
  } else {
    // The queue's directory gained an entry; a new directory also adds entries up the tree.
    const std::filesystem::path p(path);
    st.unsynced_dirs.insert(p.parent_path().string());
    st.unsynced_dirs.insert(p.parent_path().parent_path().string());
    st.unsynced_dirs.insert(p.parent_path().parent_path().parent_path().string());
    std::shared_ptr<MappedFile> unused = std::move(file).value();
    if (cq != nullptr) unused = cq->SetPreparedFile(std::move(unused));
    if (unused != nullptr) DiscardCqFile(std::move(unused));
  }
  // After a failed creation the parked units go the old way: inline creation, which logs and drops
  // the unit if it fails again (the disk is full).
  DrainParked(st, job.topic, job.queue_id, /*inline_create=*/!created);
}

void MessageStore::DrainParked(ShardStoreState& st, const std::string& topic, int32_t queue_id, bool inline_create) {
  auto parked = st.parked.find(std::make_pair(topic, queue_id));
  if (parked == st.parked.end()) return;
  ConsumeQueue* cq = st.queues.Find(topic, queue_id);
  std::deque<DispatchUnit>& units = parked->second;
  while (cq != nullptr && !units.empty()) {
    const DispatchUnit& u = units.front();
    if (!inline_create) {
      if (auto start = cq->FileStartNeededFor(u.queue_offset); start && RequestCqFile(st, *cq, *start)) return;
    }
    if (AppendUnit(st.queues, u)) {
      st.applied_unit_timestamp_ms = std::max(st.applied_unit_timestamp_ms, u.store_timestamp_ms);
      st.has_units = true;
      if (arrival_) arrival_(u.topic, u.queue_id, cq->max_offset());
    }
    units.pop_front();
  }
  st.parked.erase(parked);
  if (cq != nullptr) PrepareCqFileFor(st, *cq, cq->max_offset(), /*ahead=*/true);
}

void MessageStore::DiscardCqFile(std::shared_ptr<MappedFile> file) {
  // Deleted by the worker, after any job already queued and before any later one, so a later
  // creation of the same path cannot be undone by this deletion. Empty directories go too.
  StoreIoWorker::Job job = [file]() -> StoreIoWorker::Completion {
    file->Destroy();
    std::error_code ec;
    const std::filesystem::path queue_dir = std::filesystem::path(file->path()).parent_path();
    if (std::filesystem::remove(queue_dir, ec)) std::filesystem::remove(queue_dir.parent_path(), ec);
    return nullptr;
  };
  if (!io_->Submit(runtime::CurrentShard()->id(), job)) file->Destroy();
  EnsureIoPoll(Local());
}

void MessageStore::FlushConsumeQueues(ShardStoreState& st, bool thorough) {
  if (st.cq_flush_in_flight) return;
  struct Mark {
    std::string topic;
    int32_t queue_id;
    uint64_t pos_bytes;
  };
  std::vector<Mark> marks;
  std::vector<std::shared_ptr<MappedFile>> files;
  st.queues.ForEach([&](ConsumeQueue& q) {
    if (auto pos = q.CollectFlush(thorough ? 0 : config_.flush_cq_least_pages, files)) {
      marks.push_back(Mark{q.topic(), q.queue_id(), *pos});
    }
  });
  if (marks.empty() && !thorough) return;
  // Directory syncs only matter for the checkpoint, which only a thorough flush advances: each one
  // is a journal commit, so they are batched there instead of following every new file.
  std::vector<std::string> dirs;
  if (thorough) dirs.assign(st.unsynced_dirs.begin(), st.unsynced_dirs.end());
  // Every unit applied so far lies in the collected ranges: once they are durable (and the names of
  // their files), the checkpoint's logics time may say so. Only after a thorough flush, as RocketMQ
  // does: a partial flush leaves units of quiet queues unsynced.
  const int64_t applied = st.applied_unit_timestamp_ms;
  ShardStoreState* state = &st;
  StoreIoWorker::Job job = [this, state, thorough, applied, marks = std::move(marks), files = std::move(files),
                            dirs = std::move(dirs)]() mutable -> StoreIoWorker::Completion {
    Status status;
    for (const auto& file : files) {
      if (file->destroyed()) continue;  // its queue was destroyed or truncated meanwhile
      if (Status s = file->Sync(); !s.ok() && status.ok()) status = s;
    }
    std::vector<std::string> failed_dirs;
    for (const auto& dir : dirs) {
      Status s = SyncDirectory(dir);
      if (s.ok()) continue;
      struct stat sb {};
      if (::stat(dir.c_str(), &sb) != 0) continue;  // removed since (topic deleted): nothing to keep
      failed_dirs.push_back(dir);
      if (status.ok()) status = s;
    }
    return [this, state, thorough, applied, status, marks = std::move(marks), failed_dirs = std::move(failed_dirs)] {
      state->cq_flush_in_flight = false;
      state->unsynced_dirs.insert(failed_dirs.begin(), failed_dirs.end());
      if (!status.ok()) {
        MQ_LOG_ERROR("consume queue flush failed: {}", status.ToString());
        return;
      }
      for (const Mark& m : marks) {
        if (ConsumeQueue* q = state->queues.Find(m.topic, m.queue_id)) q->MarkFlushed(m.pos_bytes);
      }
      if (thorough) state->flushed_unit_timestamp_ms.store(applied, std::memory_order_release);
    };
  };
  if (!io_->Submit(runtime::CurrentShard()->id(), job)) return;  // worker busy or gone: next period
  if (thorough) st.unsynced_dirs.clear();  // the job owns them now; failures come back in its completion
  st.cq_flush_in_flight = true;
  EnsureIoPoll(st);
}

Status MessageStore::Start(runtime::ShardSet& shards) {
  MQ_ASSERT(!started_ && shards.size() == shard_count_);
  shards_ = &shards;
  if (auto st = flush_->Start(); !st.ok()) return st;
  io_->Start();
  dispatcher_->Start(shards);
  for (uint32_t i = 0; i < shard_count_; ++i) {
    shards.SubmitTo(i, [this, i] {
      ShardStoreState* st = shard_state_[i].get();
      auto* shard = runtime::CurrentShard();
      // The last thorough flush's time lives in the shard state: a periodic timer task is copied for
      // each run, so changes to its own captures are lost (with them, every flush after the first
      // minute was thorough: every dirty queue file synced every second).
      st->last_cq_thorough_flush_ms = shard->now_ms();
      shard->RunEvery(static_cast<uint64_t>(config_.flush_cq_interval_ms), [this, st, shard] {
        if (st->cq_flush_in_flight) return;  // the previous one is still syncing
        const bool thorough = shard->now_ms() - st->last_cq_thorough_flush_ms >= config_.flush_cq_thorough_interval_ms;
        if (thorough) st->last_cq_thorough_flush_ms = shard->now_ms();
        FlushConsumeQueues(*st, thorough);  // the fdatasyncs run on the worker, not here
      });
    });
  }
  shards.SubmitTo(0, [this] {
    runtime::CurrentShard()->RunEvery(static_cast<uint64_t>(config_.clean_resource_interval_ms), [this] { RunCleaner(); });
  });
  started_ = true;
  return Status::Ok();
}

void MessageStore::RunCleaner() {
  const double ratio = disk_->Refresh();
  const int64_t now_ms = WallClockMs();
  const bool over_ratio = ratio * 100.0 > config_.disk_max_used_space_ratio;
  const bool force = config_.clean_file_forcibly_enable && ratio > 0.85;
  int deleted = 0;
  if (IsDeleteHour(config_.delete_when, now_ms) || over_ratio || force) {
    deleted = commit_log_->DeleteExpiredFiles(config_.file_reserved_time_hours * 3600 * 1000, now_ms, force, 10);
  }
  // Checkpoint logics time: the oldest "flushed up to" among shards that hold queues.
  int64_t logics = INT64_MAX;
  for (auto& s : shard_state_) {
    if (s->has_units) logics = std::min(logics, s->flushed_unit_timestamp_ms.load(std::memory_order_acquire));
  }
  if (logics != INT64_MAX) checkpoint_->set_logics_ms(logics);
  if (deleted == 0) return;
  const int64_t min_offset = commit_log_->min_offset();
  MQ_LOG_INFO("retention: deleted {} commit-log segments, min offset now {}", deleted, min_offset);
  if (index_) index_->DeleteExpired(min_offset);
  runtime::Broadcast(*shards_, [this, min_offset](uint32_t shard) {
    shard_state_[shard]->queues.DeleteExpiredFiles(min_offset);
  });
}

void MessageStore::Shutdown() {
  if (!commit_log_) return;
  if (flush_) flush_->Stop();  // final flush of everything committed
  if (io_) io_->Stop();        // runs what was queued; the shards are stopped, so nothing is added
  for (auto& s : shard_state_) {
    // Units still parked (their file was on its way) are dropped here; the next start re-dispatches
    // them from the commit log, which is flushed (step 6 of recovery).
    if (auto st = s->queues.Flush(0); !st.ok()) MQ_LOG_ERROR("shutdown: consume queue flush: {}", st.ToString());
    for (const auto& dir : s->unsynced_dirs) {
      struct stat sb {};
      if (::stat(dir.c_str(), &sb) != 0) continue;  // removed since (topic deleted): nothing to keep
      if (auto st = SyncDirectory(dir); !st.ok()) MQ_LOG_WARN("shutdown: {}", st.ToString());
    }
    s->unsynced_dirs.clear();
  }
  if (index_) {
    if (auto st = index_->Flush(); !st.ok()) MQ_LOG_ERROR("shutdown: index flush: {}", st.ToString());
  }
  const int64_t last = commit_log_->last_store_timestamp_ms();
  checkpoint_->set_physic_ms(std::max(checkpoint_->physic_ms(), last));
  checkpoint_->set_logics_ms(std::max(checkpoint_->logics_ms(), last));
  if (index_) checkpoint_->set_index_ms(std::max(checkpoint_->index_ms(), last));
  const bool clean = checkpoint_->Flush().ok() && !(flush_ && flush_->failed());
  if (clean) (void)RemoveAbortFile(config_.root_dir);
  dispatcher_.reset();
  flush_.reset();
  commit_log_.reset();
  lock_.reset();
  MQ_LOG_INFO("store {} closed{}", config_.root_dir, clean ? "" : " (not clean: recovery will run at next start)");
}

void MessageStore::Put(std::vector<model::MessageRecord> records, bool wait_store_ok, PutCallback done) {
  MQ_ASSERT(!records.empty());
  ShardStoreState& st = Local();
  PutResult result;
  auto fail = [&](PutStatus status, std::string remark) {
    result.status = status;
    result.remark = std::move(remark);
    done(std::move(result));
  };
  if (!started_ || !flush_ || flush_->failed()) return fail(PutStatus::kServiceNotAvailable, "the store is not writable");
  if (disk_->full()) {
    return fail(PutStatus::kServiceNotAvailable, "the disk of the commit log is full; writes resume when space is freed");
  }
  const std::string& topic = records.front().topic;
  const int32_t queue_id = records.front().queue_id;
  MQ_ASSERT(ShardOf(topic, queue_id) == runtime::CurrentShard()->id());
  const std::string key = QueueKey(topic, queue_id);
  auto next_it = st.next_queue_offset.find(key);
  if (next_it == st.next_queue_offset.end()) {
    ConsumeQueue* cq = st.queues.Find(topic, queue_id);
    next_it = st.next_queue_offset.emplace(key, cq ? cq->max_offset() : 0).first;
  }
  int64_t next = next_it->second;
  // Ask for the queue's file now, off the shard, so it is usually there when the unit is dispatched.
  PrepareCqFileFor(st, st.queues.FindOrCreate(topic, queue_id), next, /*ahead=*/true);
  st.encode_buffer.clear();
  result.queue_offset = next;
  std::vector<size_t> sizes;
  sizes.reserve(records.size());
  for (auto& r : records) {
    MQ_ASSERT(r.topic == topic && r.queue_id == queue_id);
    if (auto s = model::CheckRecordLimits(r, config_.max_message_bytes); !s.ok()) {
      return fail(PutStatus::kMessageIllegal, s.remark());
    }
    r.queue_offset = model::TakesQueueOffset(r.sys_flag) ? next++ : 0;
    const size_t before = st.encode_buffer.size();
    model::EncodeRecord(r, st.encode_buffer);
    sizes.push_back(st.encode_buffer.size() - before);
  }
  auto appended = commit_log_->Append(reinterpret_cast<const uint8_t*>(st.encode_buffer.data()),
                                      st.encode_buffer.size(), WallClockMs());
  if (!appended.ok()) {
    const bool illegal = appended.status().code() == ResponseCode::kMessageIllegal;
    return fail(illegal ? PutStatus::kMessageIllegal : PutStatus::kServiceNotAvailable, appended.status().remark());
  }
  next_it->second = next;
  result.status = PutStatus::kOk;
  result.phys_offset = appended->phys_offset;
  result.wrote_bytes = static_cast<int32_t>(st.encode_buffer.size());
  result.message_count = static_cast<int32_t>(records.size());
  result.store_timestamp_ms = appended->store_timestamp_ms;
  int64_t at = appended->phys_offset;
  for (size_t size : sizes) {
    result.record_offsets.push_back(at);
    at += static_cast<int64_t>(size);
  }
  dispatcher_->Kick();
  const int64_t end = appended->end_offset;
  if (config_.flush_mode != FlushMode::kSync) return done(std::move(result));
  if (!wait_store_ok) {
    flush_->RequestFlush(end);
    return done(std::move(result));
  }
  runtime::Shard* shard = runtime::CurrentShard();
  st.waiters->Add(end, shard->now_ms(), [result = std::move(result), done = std::move(done)](Status s) mutable {
    if (!s.ok()) {
      result.status = PutStatus::kFlushDiskTimeout;
      result.remark = s.remark();
    }
    done(std::move(result));
  });
  if (st.waiter_timer == 0) {
    ShardStoreState* state = &st;
    st.waiter_timer = shard->RunEvery(1, [state, shard] {
      state->waiters->Poll(shard->now_ms());
      if (state->waiters->pending() == 0) {
        shard->Cancel(state->waiter_timer);
        state->waiter_timer = 0;
      }
    });
  }
}

}  // namespace mq::store
