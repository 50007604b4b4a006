// FlushService (spec 6.8): makes the commit log durable. Two dedicated threads, never shards,
// because fdatasync and segment pre-allocation block:
//   - the flush thread: ASYNC_FLUSH flushes every flush_interval_ms when >= flush_least_pages dirty
//     4 KiB pages and every thorough_interval_ms regardless; SYNC_FLUSH is group commit: appenders
//     call RequestFlush(end) and one fdatasync covers every append committed so far;
//   - the preparer thread: creates and prefaults the next segment when the commit log asks
//     (CommitLogOptions::want_next_segment -> WakePreparer), so appends rarely create files inline.
// A failed fdatasync is retried once; if it fails again the service is failed for good (sticky, like
// a PANIC without the crash): flushed_offset never moves again and every waiter beyond it gets an
// error, because after EIO the kernel may have dropped the dirty pages and a later successful
// fdatasync would acknowledge bytes that never reached the disk. Restart + recovery is the way out.
//
// Completions on the caller's shard: the flush thread never runs caller code. A shard keeps its own
// SyncFlushWaiters (no lock, no cross-thread queue) and polls it from a shard timer (1 ms while it
// has waiters): Poll compares against the atomic flushed offset. Chosen over SubmitTo from the flush
// thread because cross-shard rings are single-producer per shard pair and the locked injection
// queue is meant for start-up only; a 1 ms poll adds <= 1 ms to an fdatasync that costs about that.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "store/commit_log.h"

namespace mq::store {

enum class FlushMode { kAsync, kSync };  // flushDiskType ASYNC_FLUSH / SYNC_FLUSH

struct FlushOptions {
  FlushMode mode = FlushMode::kAsync;
  int64_t flush_interval_ms = 500;        // flushIntervalCommitLog
  int flush_least_pages = 4;              // flushCommitLogLeastPages
  int64_t thorough_interval_ms = 10000;   // flushCommitLogThoroughInterval
  int64_t sync_flush_timeout_ms = 5000;   // syncFlushTimeout
  // Flush thread, after each successful flush: the new flushed offset and the store time to record
  // as the checkpoint's physicMsgTimestamp (the newest append completed before the flush began).
  std::function<void(int64_t flushed_offset, int64_t physic_timestamp_ms)> on_flushed;
};

class FlushService {
 public:
  FlushService(CommitLog& log, FlushOptions options);
  ~FlushService();  // Stop()
  FlushService(const FlushService&) = delete;
  FlushService& operator=(const FlushService&) = delete;

  Status Start();
  // Final flush of everything committed, then joins both threads. Idempotent.
  void Stop();

  // Any thread, non-blocking, no lock: flush at least up to end_offset soon (SYNC: at once).
  // A system call (eventfd write) only when the flush thread is asleep.
  void RequestFlush(int64_t end_offset);
  // Any thread, no lock: have the preparer create the next segment.
  void WakePreparer();

  int64_t flushed_offset() const { return log_.flushed_offset(); }
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  const FlushOptions& options() const { return options_; }
  // Flush rounds that called fdatasync (one round may sync two segments across a boundary).
  uint64_t sync_rounds() const { return sync_rounds_.load(std::memory_order_acquire); }

  // Blocking wait for tools, tests and non-shard threads (never a shard): OK once flushed past
  // end_offset; FLUSH_DISK_TIMEOUT after timeout_ms or when the service failed.
  Status WaitFlushedBlocking(int64_t end_offset, int64_t timeout_ms);

 private:
  void FlushLoop();
  void PrepareLoop();
  void SleepFlusher(int64_t timeout_ms);
  bool FlushOnce();

  CommitLog& log_;
  FlushOptions options_;
  int wake_fd_ = -1;
  std::atomic<bool> running_{false};
  std::atomic<bool> flusher_sleeping_{false};
  std::atomic<int64_t> requested_{0};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> sync_rounds_{0};
  std::atomic<uint32_t> prepare_seq_{0};
  std::thread flush_thread_;
  std::thread prepare_thread_;
  // Blocking waiters only (WaitFlushedBlocking); the shard path never touches these.
  std::mutex blocking_mu_;
  std::condition_variable blocking_cv_;
};

// Group-commit waiters of ONE shard. Every method must be called from that shard's thread.
class SyncFlushWaiters {
 public:
  using Completion = std::function<void(Status)>;
  explicit SyncFlushWaiters(FlushService& flush) : flush_(flush) {}

  // Registers `done` for the append ending at end_offset and wakes the flush thread.
  void Add(int64_t end_offset, int64_t now_ms, Completion done);
  // Runs, in offset order, the completions of waiters that are flushed (OK), past their deadline
  // (FLUSH_DISK_TIMEOUT: the message is stored, not known durable) or behind a failed fsync
  // (FLUSH_DISK_TIMEOUT, never OK). Returns how many completed.
  size_t Poll(int64_t now_ms);
  size_t pending() const { return waiters_.size(); }

 private:
  struct Waiter {
    int64_t end_offset;
    int64_t deadline_ms;
    Completion done;
  };
  FlushService& flush_;
  std::deque<Waiter> waiters_;  // sorted by end_offset
};

}  // namespace mq::store
