// BlockingWorker; see blocking_worker.h for the contract.
#include "runtime/blocking_worker.h"

#include "base/assert.h"

namespace mq::runtime {

BlockingWorker::BlockingWorker(uint32_t shard_count) {
  MQ_ASSERT(shard_count > 0);
  for (uint32_t i = 0; i < shard_count; ++i) per_shard_.push_back(std::make_unique<PerShard>());
}

BlockingWorker::~BlockingWorker() { Stop(); }

void BlockingWorker::Start() {
  MQ_ASSERT(!running_.load());
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this] { Loop(); });
}

void BlockingWorker::Stop() {
  if (!running_.exchange(false, std::memory_order_acq_rel)) return;
  seq_.fetch_add(1, std::memory_order_release);
  seq_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool BlockingWorker::Submit(uint32_t shard, Job& job) {
  MQ_ASSERT(shard < per_shard_.size());
  PerShard& ps = *per_shard_[shard];
  if (!running() || ps.outstanding >= kRingCapacity) return false;
  if (!ps.requests.TryPush(std::move(job))) return false;  // cannot happen below the bound; kept safe
  ++ps.outstanding;
  seq_.fetch_add(1, std::memory_order_release);
  seq_.notify_one();  // a futex wake only when the worker is waiting
  return true;
}

size_t BlockingWorker::Poll(uint32_t shard) {
  MQ_ASSERT(shard < per_shard_.size());
  PerShard& ps = *per_shard_[shard];
  size_t ran = 0;
  Completion done;
  while (ps.completions.TryPop(done)) {
    MQ_ASSERT(ps.outstanding > 0);
    --ps.outstanding;
    ++ran;
    if (done) done();
    done = nullptr;
  }
  return ran;
}

bool BlockingWorker::RunSome(bool keep_completions) {
  bool any = false;
  Job job;
  // One job per shard per pass: a shard with a long queue does not starve the others.
  for (auto& ps : per_shard_) {
    if (!ps->requests.TryPop(job)) continue;
    any = true;
    Completion done = job();
    job = nullptr;
    jobs_run_.fetch_add(1, std::memory_order_acq_rel);
    if (!keep_completions) continue;
    // Never full: the shard keeps at most kRingCapacity jobs outstanding (Submit).
    const bool pushed = ps->completions.TryPush(std::move(done));
    MQ_ASSERT(pushed);
  }
  return any;
}

void BlockingWorker::Loop() {
  while (running_.load(std::memory_order_acquire)) {
    const uint32_t seen = seq_.load(std::memory_order_acquire);
    if (!RunSome(/*keep_completions=*/true)) seq_.wait(seen, std::memory_order_acquire);
  }
  // Stopped: the shards no longer poll. Finish what was asked (an unlink must not be skipped);
  // completions are dropped (their captured files unmap when they go).
  while (RunSome(/*keep_completions=*/false)) {
  }
}

}  // namespace mq::runtime
