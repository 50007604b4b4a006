// FlushService and SyncFlushWaiters; see flush_service.h for the contract.
#include "store/flush_service.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/log.h"

namespace mq::store {

namespace {

constexpr int64_t kPageBytes = 4096;
// SYNC_FLUSH idle wait: appends with WAIT=false only wake the flusher, so it also looks around on
// its own this often.
constexpr int64_t kSyncIdleWaitMs = 10;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FlushService::FlushService(CommitLog& log, FlushOptions options) : log_(log), options_(std::move(options)) {}

FlushService::~FlushService() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status FlushService::Start() {
  MQ_ASSERT(!running_.load());
  if (wake_fd_ < 0) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return Status::SystemError(std::string("eventfd: ") + std::strerror(errno));
  }
  running_.store(true, std::memory_order_release);
  flush_thread_ = std::thread([this] { FlushLoop(); });
  prepare_thread_ = std::thread([this] { PrepareLoop(); });
  WakePreparer();
  return Status::Ok();
}

void FlushService::Stop() {
  if (!running_.exchange(false, std::memory_order_acq_rel)) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  prepare_seq_.fetch_add(1, std::memory_order_release);
  prepare_seq_.notify_one();
  if (flush_thread_.joinable()) flush_thread_.join();
  if (prepare_thread_.joinable()) prepare_thread_.join();
}

void FlushService::RequestFlush(int64_t end_offset) {
  int64_t cur = requested_.load(std::memory_order_relaxed);
  while (cur < end_offset && !requested_.compare_exchange_weak(cur, end_offset, std::memory_order_seq_cst)) {
  }
  // Dekker pair with SleepFlusher: we publish requested_ then read sleeping; it publishes sleeping
  // then reads requested_. One of us sees the other, so no wake-up is lost.
  if (flusher_sleeping_.load(std::memory_order_seq_cst)) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
}

void FlushService::WakePreparer() {
  prepare_seq_.fetch_add(1, std::memory_order_release);
  prepare_seq_.notify_one();  // a futex wake only when the preparer is waiting
}

void FlushService::SleepFlusher(int64_t timeout_ms) {
  flusher_sleeping_.store(true, std::memory_order_seq_cst);
  const bool pending = requested_.load(std::memory_order_seq_cst) > log_.flushed_offset();
  if (!pending && running_.load(std::memory_order_acquire)) {
    struct pollfd pfd {wake_fd_, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(timeout_ms, 0)));
  }
  flusher_sleeping_.store(false, std::memory_order_seq_cst);
  uint64_t drained = 0;
  [[maybe_unused]] ssize_t n = ::read(wake_fd_, &drained, sizeof(drained));
}

// One flush round; false when the service is (now) failed.
bool FlushService::FlushOnce() {
  if (failed_.load(std::memory_order_acquire)) return false;
  const int64_t before = log_.flushed_offset();
  const int64_t physic_ts = log_.last_store_timestamp_ms();  // loaded before the watermark (see .h)
  Result<int64_t> r = log_.Flush();
  if (!r.ok()) {
    MQ_LOG_WARN("commit log flush failed, retrying once: {}", r.status().ToString());
    r = log_.Flush();
  }
  if (!r.ok()) {
    MQ_LOG_ERROR("commit log flush failed twice, no further acknowledgements until restart: {}",
                 r.status().ToString());
    failed_.store(true, std::memory_order_release);
    std::lock_guard<std::mutex> lock(blocking_mu_);
    blocking_cv_.notify_all();
    return false;
  }
  if (r.value() > before) {
    sync_rounds_.fetch_add(1, std::memory_order_acq_rel);
    if (options_.on_flushed) options_.on_flushed(r.value(), physic_ts);
    std::lock_guard<std::mutex> lock(blocking_mu_);
    blocking_cv_.notify_all();
  }
  return true;
}

void FlushService::FlushLoop() {
  int64_t last_thorough_ms = SteadyMs();
  int64_t next_async_ms = last_thorough_ms + options_.flush_interval_ms;
  while (running_.load(std::memory_order_acquire)) {
    const int64_t now = SteadyMs();
    const int64_t flushed = log_.flushed_offset();
    if (requested_.load(std::memory_order_acquire) > flushed) {
      FlushOnce();  // group commit: everything committed so far rides this one fdatasync
      // A waiter may ask past the committed watermark while an earlier append is still copying;
      // give it a moment instead of spinning on a no-op flush.
      if (log_.flushed_offset() == flushed) std::this_thread::sleep_for(std::chrono::microseconds(50));
    } else if (now >= next_async_ms) {
      next_async_ms = now + options_.flush_interval_ms;
      const int64_t dirty = log_.committed_offset() - flushed;
      const bool thorough = now - last_thorough_ms >= options_.thorough_interval_ms;
      if (thorough) last_thorough_ms = now;
      if (dirty > 0 && (thorough || dirty >= options_.flush_least_pages * kPageBytes)) FlushOnce();
    }
    if (failed_.load(std::memory_order_acquire)) {
      SleepFlusher(options_.flush_interval_ms);  // nothing more to do but stay responsive to Stop
      continue;
    }
    int64_t wait_ms = next_async_ms - SteadyMs();
    if (options_.mode == FlushMode::kSync) wait_ms = std::min(wait_ms, kSyncIdleWaitMs);
    if (requested_.load(std::memory_order_acquire) <= log_.flushed_offset()) SleepFlusher(wait_ms);
  }
  if (!failed_.load(std::memory_order_acquire)) FlushOnce();  // final flush on a clean stop
}

void FlushService::PrepareLoop() {
  uint32_t seen = 0;
  while (running_.load(std::memory_order_acquire)) {
    seen = prepare_seq_.load(std::memory_order_acquire);
    Result<bool> r = log_.PrepareNextSegment();
    if (!r.ok()) MQ_LOG_WARN("commit log: preparing the next segment failed: {}", r.status().ToString());
    prepare_seq_.wait(seen, std::memory_order_acquire);
  }
}

Status FlushService::WaitFlushedBlocking(int64_t end_offset, int64_t timeout_ms) {
  RequestFlush(end_offset);
  std::unique_lock<std::mutex> lock(blocking_mu_);
  const bool ok = blocking_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return log_.flushed_offset() >= end_offset || failed_.load(std::memory_order_acquire);
  });
  if (log_.flushed_offset() >= end_offset) return Status::Ok();
  if (!ok) return Status::Error(ResponseCode::kFlushDiskTimeout, "flush disk timeout");
  return Status::Error(ResponseCode::kFlushDiskTimeout, "fdatasync failed; message stored, not durable");
}

void SyncFlushWaiters::Add(int64_t end_offset, int64_t now_ms, Completion done) {
  Waiter w{end_offset, now_ms + flush_.options().sync_flush_timeout_ms, std::move(done)};
  auto it = waiters_.end();
  while (it != waiters_.begin() && std::prev(it)->end_offset > end_offset) --it;  // almost always the back
  waiters_.insert(it, std::move(w));
  flush_.RequestFlush(end_offset);
}

size_t SyncFlushWaiters::Poll(int64_t now_ms) {
  size_t completed = 0;
  const int64_t flushed = flush_.flushed_offset();
  const bool failed = flush_.failed();
  while (!waiters_.empty()) {
    Waiter& w = waiters_.front();
    Status status;
    if (w.end_offset <= flushed) {
      status = Status::Ok();
    } else if (failed) {
      status = Status::Error(ResponseCode::kFlushDiskTimeout, "fdatasync failed; message stored, not durable");
    } else if (now_ms >= w.deadline_ms) {
      status = Status::Error(ResponseCode::kFlushDiskTimeout, "flush disk timeout");
    } else {
      break;  // flushed is a prefix: nobody behind this one is ready either
    }
    Completion done = std::move(w.done);
    waiters_.pop_front();
    ++completed;
    done(std::move(status));
  }
  return completed;
}

}  // namespace mq::store
