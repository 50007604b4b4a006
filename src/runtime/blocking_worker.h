// BlockingWorker: one background thread that runs the shards' blocking file-system work (the
// store's consume-queue file creation and fdatasyncs, the broker's config-file writes), so a shard
// never blocks on the disk while it serves requests.
//
// Protocol: a shard Submit()s a job into its own bounded SPSC ring (shard -> worker). The worker
// runs jobs in submission order per shard (so a job submitted after another sees its effects, e.g.
// an unlink before a re-creation of the same path) and pushes each job's completion into that
// shard's completion ring (worker -> shard). The shard runs completions from Poll(), called by a
// 1 ms shard timer while it has jobs outstanding: the same polling pattern as SyncFlushWaiters,
// chosen because cross-shard rings are for shards only and the injection queue is start-up only.
//
// Threads: Submit, Poll and outstanding() belong to the submitting shard (one thread per shard
// index); Start/Stop to the owner. Stop() runs every queued job and discards their completions.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/spsc_ring.h"

namespace mq::runtime {

class BlockingWorker {
 public:
  using Completion = std::function<void()>;  // runs on the submitting shard
  using Job = std::function<Completion()>;   // runs on the worker; may return an empty completion

  static constexpr size_t kRingCapacity = 4096;

  explicit BlockingWorker(uint32_t shard_count);
  ~BlockingWorker();  // Stop()
  BlockingWorker(const BlockingWorker&) = delete;
  BlockingWorker& operator=(const BlockingWorker&) = delete;

  void Start();
  void Stop();
  bool running() const { return running_.load(std::memory_order_acquire); }

  // Shard `shard` only, no system call unless the worker sleeps (then one futex wake). False when
  // kRingCapacity jobs of this shard are outstanding or the worker is not running: the job was not
  // taken (`job` is left intact). Bounding outstanding jobs bounds the completion ring too.
  bool Submit(uint32_t shard, Job& job);
  // Shard `shard` only: runs the completions that have arrived; returns how many ran.
  size_t Poll(uint32_t shard);
  // Jobs submitted by `shard` whose completion has not run yet (shard `shard` only).
  size_t outstanding(uint32_t shard) const { return per_shard_[shard]->outstanding; }
  // Jobs run since Start (any thread; for tests and logs).
  uint64_t jobs_run() const { return jobs_run_.load(std::memory_order_acquire); }

 private:
  struct PerShard {
    PerShard() : requests(kRingCapacity), completions(kRingCapacity) {}
    SpscRing<Job> requests;
    SpscRing<Completion> completions;
    size_t outstanding = 0;  // submitting shard only
  };
  void Loop();
  bool RunSome(bool keep_completions);

  std::vector<std::unique_ptr<PerShard>> per_shard_;
  std::atomic<bool> running_{false};
  std::atomic<uint32_t> seq_{0};
  std::atomic<uint64_t> jobs_run_{0};
  std::thread thread_;
};

}  // namespace mq::runtime
