// ShardSet and Shard implementation. ShardSetImpl is created and destroyed by one control thread
// (main); each ShardImpl is driven by its own thread, which creates its backend, runs the loop and,
// at shutdown, destroys its leftovers and its backend. Cross-thread entry points: SubmitTo,
// RequestStop (any thread), Join (control thread only).
#include <algorithm>
#include <atomic>
#include <barrier>
#include <csignal>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "base/assert.h"
#include "base/log.h"
#include "runtime/io_backend.h"
#include "runtime/shard_set.h"
#include "runtime/spsc_ring.h"
#include "runtime/timer_wheel.h"

namespace mq::runtime {
namespace {

constexpr size_t kMaxInjectedTasks = 1u << 16;
constexpr size_t kMaxTasksPerRingPerIteration = 1024;
constexpr auto kStartTimeout = std::chrono::seconds(10);

int64_t MonotonicNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class ShardSetImpl;

class ShardImpl final : public Shard {
 public:
  ShardImpl(ShardSetImpl* set, uint32_t id) : set_(set), id_(id), now_ms_(MonotonicNowMs()) {}

  uint32_t id() const override { return id_; }
  int64_t now_ms() const override { return now_ms_; }
  TimerId RunAfter(uint64_t delay_ms, Task task) override {
    AssertOnShard();
    return timers_.RunAt(now_ms_ + static_cast<int64_t>(delay_ms), std::move(task));
  }
  TimerId RunEvery(uint64_t period_ms, Task task) override {
    AssertOnShard();
    return timers_.RunEvery(now_ms_, period_ms, std::move(task));
  }
  bool Cancel(TimerId id) override {
    AssertOnShard();
    return timers_.Cancel(id);
  }
  IoBackend& backend() override {
    MQ_ASSERT(backend_ != nullptr);
    return *backend_;
  }
  void Defer(Task task) override {
    AssertOnShard();
    deferred_.push_back(std::move(task));
  }

  void AssertOnShard() const;
  void ThreadMain(bool use_uring);
  void Loop();
  bool HasInbound() const;
  void DrainInbound();
  void RunDeferred();
  void Shutdown();
  // Any thread: queue for this shard's loop (start-up / shutdown traffic only).
  bool Inject(Task task);
  void WakeIfParked();
  void RequestStop();

  ShardSetImpl* const set_;
  const uint32_t id_;
  int64_t now_ms_;
  std::unique_ptr<IoBackend> backend_;
  TimerWheel timers_;
  std::vector<Task> deferred_;
  std::atomic<bool> parked_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> has_injected_{false};
  std::mutex inject_mu_;
  std::deque<Task> injected_;   // guarded by inject_mu_
  bool backend_alive_ = false;  // guarded by inject_mu_
  std::thread thread_;
};

thread_local ShardImpl* tls_current_shard = nullptr;

class ShardSetImpl final : public ShardSet {
 public:
  ShardSetImpl(uint32_t n, uint32_t ring_capacity, bool use_uring)
      : use_uring_(use_uring), exit_barrier_(static_cast<std::ptrdiff_t>(n)) {
    rings_.reserve(static_cast<size_t>(n) * n);
    for (uint32_t i = 0; i < n * n; ++i) rings_.push_back(std::make_unique<SpscRing<Task>>(ring_capacity));
    for (uint32_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<ShardImpl>(this, i));
  }
  ~ShardSetImpl() override {
    RequestStop();
    Join();
  }

  uint32_t size() const override { return static_cast<uint32_t>(shards_.size()); }
  const char* backend_name() const override { return use_uring_ ? "io_uring" : "epoll"; }
  Shard& shard(uint32_t id) override {
    MQ_ASSERT(id < shards_.size());
    return *shards_[id];
  }

  bool SubmitTo(uint32_t to, Task task) override {
    MQ_ASSERT(to < shards_.size());
    MQ_ASSERT(task != nullptr);
    ShardImpl* cur = tls_current_shard;
    if (cur == nullptr || cur->set_ != this) return shards_[to]->Inject(std::move(task));
    if (!Ring(cur->id_, to).TryPush(std::move(task))) return false;
    if (to != cur->id_) {
      std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the fence after parking
      ShardImpl& target = *shards_[to];
      if (target.parked_.load(std::memory_order_relaxed)) target.backend_->Wake();
    }
    return true;
  }

  void RequestStop() override {
    for (auto& s : shards_) s->RequestStop();
  }

  void Join() override {
    for (auto& s : shards_) {
      MQ_ASSERT_MSG(s->thread_.get_id() != std::this_thread::get_id(), "Join from a shard thread");
      if (s->thread_.joinable()) s->thread_.join();
    }
  }

  Status StartThreads() {
    std::mutex mu;
    std::condition_variable cv;
    uint32_t started = 0;
    Status first_error;
    for (auto& s : shards_) {
      ShardImpl* shard = s.get();
      shard->thread_ = std::thread([this, shard, &mu, &cv, &started, &first_error] {
        tls_current_shard = shard;
        auto backend = use_uring_ ? CreateUringBackend() : CreateEpollBackend();
        {
          std::lock_guard<std::mutex> lock(mu);
          if (backend.ok()) {
            std::lock_guard<std::mutex> inject_lock(shard->inject_mu_);
            shard->backend_ = std::move(backend).value();
            shard->backend_alive_ = true;
          } else if (first_error.ok()) {
            first_error = backend.status();
          }
          ++started;
          cv.notify_all();  // under the lock: the waiter may destroy cv as soon as it sees `started`
        }
        if (shard->backend_ != nullptr) shard->Loop();
        shard->Shutdown();
        tls_current_shard = nullptr;
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    const bool all = cv.wait_for(lock, kStartTimeout, [&] { return started == shards_.size(); });
    MQ_ASSERT_MSG(all, "shard threads did not start within 10 s");
    return first_error;
  }

  SpscRing<Task>& Ring(uint32_t from, uint32_t to) { return *rings_[from * shards_.size() + to]; }

  const bool use_uring_;
  std::barrier<> exit_barrier_;  // every shard has left its loop: no more ring pushes or Wake()s
  std::vector<std::unique_ptr<SpscRing<Task>>> rings_;  // [from * n + to]
  std::vector<std::unique_ptr<ShardImpl>> shards_;
};

void ShardImpl::AssertOnShard() const { MQ_ASSERT_MSG(tls_current_shard == this, "called off its shard thread"); }

bool ShardImpl::HasInbound() const {
  if (has_injected_.load(std::memory_order_relaxed)) return true;
  const uint32_t n = set_->size();
  for (uint32_t from = 0; from < n; ++from) {
    if (!set_->Ring(from, id_).Empty()) return true;
  }
  return false;
}

void ShardImpl::DrainInbound() {
  const uint32_t n = set_->size();
  Task task;
  for (uint32_t from = 0; from < n; ++from) {
    SpscRing<Task>& ring = set_->Ring(from, id_);
    for (size_t i = 0; i < kMaxTasksPerRingPerIteration && ring.TryPop(task); ++i) {
      task();
      task = nullptr;
    }
  }
  if (has_injected_.load(std::memory_order_acquire)) {
    std::deque<Task> batch;
    {
      std::lock_guard<std::mutex> lock(inject_mu_);
      batch.swap(injected_);
      has_injected_.store(false, std::memory_order_relaxed);
    }
    for (Task& t : batch) t();
  }
}

void ShardImpl::RunDeferred() {
  if (deferred_.empty()) return;
  std::vector<Task> batch;
  batch.swap(deferred_);  // tasks deferred by these tasks run on the next iteration
  for (Task& t : batch) t();
  if (deferred_.empty()) {
    batch.clear();
    deferred_.swap(batch);  // keep the capacity
  }
}

void ShardImpl::Loop() {
  while (!stop_.load(std::memory_order_acquire)) {
    now_ms_ = MonotonicNowMs();
    DrainInbound();
    timers_.RunDue(now_ms_);
    RunDeferred();
    int64_t timeout_ms = -1;
    if (!deferred_.empty()) {
      timeout_ms = 0;
    } else if (const int64_t deadline_ms = timers_.NextDeadlineMs(); deadline_ms >= 0) {
      timeout_ms = std::max<int64_t>(0, deadline_ms - MonotonicNowMs());
    }
    if (timeout_ms != 0) {
      parked_.store(true, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with SubmitTo's fence
      if (HasInbound() || stop_.load(std::memory_order_relaxed)) timeout_ms = 0;
    }
    backend_->Poll(timeout_ms);
    parked_.store(false, std::memory_order_relaxed);
  }
}

void ShardImpl::Shutdown() {
  set_->exit_barrier_.arrive_and_wait();
  // No shard pushes into our rings any more: destroy what is left here, with the backend alive,
  // so captured objects release their fds on their own shard.
  const uint32_t n = set_->size();
  Task task;
  for (uint32_t from = 0; from < n; ++from) {
    while (set_->Ring(from, id_).TryPop(task)) task = nullptr;
  }
  std::deque<Task> injected;
  {
    std::lock_guard<std::mutex> lock(inject_mu_);
    injected.swap(injected_);
    backend_alive_ = false;
  }
  injected.clear();
  deferred_.clear();
  timers_ = TimerWheel();
  backend_.reset();
}

bool ShardImpl::Inject(Task task) {
  std::lock_guard<std::mutex> lock(inject_mu_);
  if (!backend_alive_ || injected_.size() >= kMaxInjectedTasks) return false;
  injected_.push_back(std::move(task));
  has_injected_.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (parked_.load(std::memory_order_relaxed)) backend_->Wake();
  return true;
}

void ShardImpl::RequestStop() {
  stop_.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(inject_mu_);
  if (backend_alive_) backend_->Wake();
}

}  // namespace

Shard* CurrentShard() { return tls_current_shard; }

Result<BackendChoice> ParseBackendChoice(const std::string& text) {
  if (text == "uring" || text == "io_uring") return BackendChoice::kUring;
  if (text == "epoll") return BackendChoice::kEpoll;
  if (text == "auto" || text.empty()) return BackendChoice::kAuto;
  return Status::SystemError("unknown io backend '" + text + "' (expected uring, epoll or auto)");
}

Result<std::unique_ptr<ShardSet>> ShardSet::Start(const RuntimeOptions& options) {
  BackendChoice choice = options.backend;
  const char* source = "options";
  if (choice == BackendChoice::kAuto) {
    if (const char* env = std::getenv("MQ_IO_BACKEND"); env != nullptr) {
      auto parsed = ParseBackendChoice(env);
      if (!parsed.ok()) return Status::SystemError("MQ_IO_BACKEND: " + parsed.status().remark());
      choice = parsed.value();
      source = "MQ_IO_BACKEND";
    }
  }
  const uint32_t shard_count =
      options.shard_count != 0 ? options.shard_count : std::max(1u, std::thread::hardware_concurrency());
  const uint32_t ring_capacity = options.xshard_ring_capacity;
  if (ring_capacity < 2 || (ring_capacity & (ring_capacity - 1)) != 0) {
    return Status::SystemError("xshard_ring_capacity must be a power of two >= 2");
  }
  bool use_uring = false;
  if (choice == BackendChoice::kEpoll) {
    MQ_LOG_INFO("io backend: epoll (requested by {}), {} shards", source, shard_count);
  } else {
    Status probe = ProbeUring();
    if (probe.ok()) {
      use_uring = true;
      MQ_LOG_INFO("io backend: io_uring ({}), {} shards",
                  choice == BackendChoice::kUring ? std::string("requested by ") + source : std::string("auto"),
                  shard_count);
    } else if (choice == BackendChoice::kUring) {
      return Status::SystemError("io_uring was requested but is unavailable: " + probe.remark());
    } else {
      MQ_LOG_WARN("io backend: epoll (io_uring unavailable: {}), {} shards", probe.remark(), shard_count);
    }
  }
  // A peer closing mid-write must be an error code, never a process kill (both backends pass
  // MSG_NOSIGNAL where they can; this covers every other path).
  ::signal(SIGPIPE, SIG_IGN);
  auto set = std::make_unique<ShardSetImpl>(shard_count, ring_capacity, use_uring);
  Status started = set->StartThreads();
  if (!started.ok()) {
    set->RequestStop();
    set->Join();
    return started;
  }
  return std::unique_ptr<ShardSet>(std::move(set));
}

}  // namespace mq::runtime
