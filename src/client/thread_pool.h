// A fixed pool of worker threads with a bounded task queue: where user callbacks and listeners run,
// so they never block the runtime's I/O thread. Submit fails (returns false) when the queue is full
// or the pool is stopping; callers decide to retry later or drop. Thread-safe.
// Stop waits a bounded time: workers still busy then (a slow listener) are detached and finish on
// their own; they share the pool's state, so the pool object may be destroyed before they end.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mq::client {

class ThreadPool {
 public:
  static constexpr uint64_t kDefaultStopWaitMs = 30000;

  ThreadPool(size_t threads, size_t max_queued) : state_(std::make_shared<State>()) {
    state_->max_queued = max_queued;
    state_->alive = threads;
    for (size_t i = 0; i < threads; ++i) workers_.emplace_back([s = state_] { Run(*s); });
  }
  ~ThreadPool() { Stop(); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  bool Submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->stopping || state_->tasks.size() >= state_->max_queued) return false;
      state_->tasks.push_back(std::move(task));
    }
    state_->cv.notify_one();
    return true;
  }

  // Runs the queued tasks, then joins, waiting at most timeout_ms for the workers to finish.
  // Returns false when some were still busy (they are detached). Idempotent. From a pool thread
  // (a listener stopping its own consumer) that thread is not waited for.
  bool Stop(uint64_t timeout_ms = kDefaultStopWaitMs) {
    std::vector<std::thread> workers;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->stopping = true;
      workers.swap(workers_);
    }
    state_->cv.notify_all();
    if (workers.empty()) return true;
    size_t self = 0;
    for (auto& t : workers) {
      if (t.get_id() == std::this_thread::get_id()) self = 1;
    }
    bool finished = false;
    {
      std::unique_lock<std::mutex> lock(state_->mu);
      finished = state_->done_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                          [&] { return state_->alive <= self; });
    }
    for (auto& t : workers) {
      if (finished && t.get_id() != std::this_thread::get_id()) {
        t.join();
      } else {
        t.detach();
      }
    }
    return finished;
  }

  size_t queued() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->tasks.size();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::condition_variable done_cv;
    std::deque<std::function<void()>> tasks;
    size_t max_queued = 0;
    size_t alive = 0;
    bool stopping = false;
  };

  static void Run(State& s) {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(s.mu);
        s.cv.wait(lock, [&] { return s.stopping || !s.tasks.empty(); });
        if (s.tasks.empty()) {
          --s.alive;
          s.done_cv.notify_all();
          return;
        }
        task = std::move(s.tasks.front());
        s.tasks.pop_front();
      }
      task();
    }
  }

  std::shared_ptr<State> state_;
  std::vector<std::thread> workers_;  // guarded by state_->mu once started
};

}  // namespace mq::client
