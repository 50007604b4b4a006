// JsonFileWriter; see json_file_writer.h for the contract.
#include "broker/metadata/json_file_writer.h"

#include <map>
#include <mutex>
#include <vector>

#include "base/log.h"
#include "broker/metadata/json_file.h"
#include "runtime/blocking_worker.h"
#include "runtime/shard_set.h"

namespace mq::broker {
namespace {

// One config file. `mu` guards the hand-over between writers and the worker and is never held
// across I/O; `io_mu` serializes the file work on the path (the worker and a synchronous writer
// share `<path>.tmp`).
struct Slot {
  std::mutex mu;
  uint64_t next_gen = 0;
  bool queued = false;  // a worker job will take `pending`
  std::string pending;
  uint64_t pending_gen = 0;

  std::mutex io_mu;
  uint64_t written_gen = 0;  // the newest generation that reached the file (or failed to)
};

}  // namespace

struct JsonFileWriter::Impl {
  explicit Impl(uint32_t shard_count) : worker(shard_count), poll_timers(shard_count, 0) {}

  runtime::BlockingWorker worker;
  std::mutex slots_mu;
  std::map<std::string, std::shared_ptr<Slot>, std::less<>> slots;  // a handful of config files
  std::vector<runtime::TimerId> poll_timers;                        // entry i: shard i only
  std::atomic<uint64_t> written{0};

  std::shared_ptr<Slot> SlotOf(const std::string& path) {
    std::lock_guard<std::mutex> lock(slots_mu);
    auto& slot = slots[path];
    if (!slot) slot = std::make_shared<Slot>();
    return slot;
  }

  // Any thread. Skips (Ok) when a newer generation already reached the file.
  Status WriteGen(const std::string& path, Slot& slot, uint64_t gen, const std::string& text) {
    std::lock_guard<std::mutex> lock(slot.io_mu);
    if (gen <= slot.written_gen) return Status::Ok();
    // Recorded even on failure: an older text must never replace what a newer attempt left.
    slot.written_gen = gen;
    Status s = PersistJsonFile(path, text);
    if (s.ok()) written.fetch_add(1, std::memory_order_acq_rel);
    return s;
  }

  // Takes whatever is pending on `slot` and writes it (worker, or a shard whose Submit failed).
  Status WritePending(const std::string& path, Slot& slot) {
    std::string text;
    uint64_t gen = 0;
    {
      std::lock_guard<std::mutex> lock(slot.mu);
      slot.queued = false;
      text = std::move(slot.pending);
      slot.pending.clear();
      gen = slot.pending_gen;
    }
    return WriteGen(path, slot, gen, text);
  }
};

namespace {

// Polls the worker's completions on this shard every millisecond while it has jobs outstanding.
void EnsurePoll(const std::shared_ptr<JsonFileWriter::Impl>& impl, runtime::Shard& shard) {
  const uint32_t id = shard.id();
  if (impl->poll_timers[id] != 0) return;
  runtime::Shard* here = &shard;
  impl->poll_timers[id] = shard.RunEvery(1, [impl, here, id] {
    impl->worker.Poll(id);
    if ((impl->worker.outstanding(id) == 0 || !impl->worker.running()) && impl->poll_timers[id] != 0) {
      here->Cancel(impl->poll_timers[id]);
      impl->poll_timers[id] = 0;
    }
  });
}

}  // namespace

JsonFileWriter::JsonFileWriter(uint32_t shard_count) : impl_(std::make_shared<Impl>(shard_count)) {}

JsonFileWriter::~JsonFileWriter() { Stop(); }

void JsonFileWriter::Start() { impl_->worker.Start(); }
void JsonFileWriter::Stop() { impl_->worker.Stop(); }
bool JsonFileWriter::running() const { return impl_->worker.running(); }
uint64_t JsonFileWriter::files_written() const { return impl_->written.load(std::memory_order_acquire); }

Status JsonFileWriter::Write(const std::string& path, std::string text) {
  std::shared_ptr<Slot> slot = impl_->SlotOf(path);
  runtime::Shard* shard = runtime::CurrentShard();
  const bool async = shard != nullptr && impl_->worker.running();
  uint64_t gen = 0;
  {
    std::lock_guard<std::mutex> lock(slot->mu);
    gen = ++slot->next_gen;
    if (async) {
      slot->pending = std::move(text);
      slot->pending_gen = gen;
      if (slot->queued) return Status::Ok();  // coalesced into the queued write
      slot->queued = true;
    }
  }
  if (!async) return impl_->WriteGen(path, *slot, gen, text);

  Impl* impl = impl_.get();  // the worker thread lives inside *impl
  runtime::BlockingWorker::Job job = [impl, slot, path]() -> runtime::BlockingWorker::Completion {
    Status s = impl->WritePending(path, *slot);
    if (s.ok()) return nullptr;
    return [path, s] { MQ_LOG_ERROR("cannot persist {}: {}", path, s.ToString()); };
  };
  if (!impl_->worker.Submit(shard->id(), job)) {
    // Queue full or stopping: write here rather than lose the change.
    return impl_->WritePending(path, *slot);
  }
  EnsurePoll(impl_, *shard);
  return Status::Ok();
}

}  // namespace mq::broker
