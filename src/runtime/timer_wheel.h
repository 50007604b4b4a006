// Per-shard timers: RunAfter / RunEvery / Cancel plus the next-deadline query the shard loop uses
// as its single wait's timeout (IO_URING.md section 5). Owned by one shard and used only on its
// thread; nothing here is thread-safe.
//
// Named a wheel for the role it plays; the structure is a binary min-heap of (deadline, id) with
// lazy cancellation: the loop needs the earliest deadline in O(1) every iteration, inserts are
// O(log n), and cancelled entries are skipped when they surface (the heap is rebuilt when more than
// half of it is dead, so per-request timeouts that are almost always cancelled stay bounded).
#pragma once
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace mq::runtime {

class TimerWheel {
 public:
  using Task = std::function<void()>;
  using TimerId = uint64_t;  // never 0

  TimerId RunAt(int64_t deadline_ms, Task task);
  TimerId RunEvery(int64_t now_ms, uint64_t period_ms, Task task);
  // True when the timer existed and will not run again. Safe from inside a timer's own task.
  bool Cancel(TimerId id);

  // Runs every timer due at now_ms (tasks scheduled by these tasks for <= now_ms run in the next
  // call, so a zero-period loop cannot starve the shard). Returns how many ran.
  size_t RunDue(int64_t now_ms);
  // Earliest live deadline, or -1 when no timer is armed.
  int64_t NextDeadlineMs();
  size_t size() const { return live_.size(); }

 private:
  struct Entry {
    int64_t deadline_ms;
    TimerId id;
    bool operator>(const Entry& other) const {
      return deadline_ms != other.deadline_ms ? deadline_ms > other.deadline_ms : id > other.id;
    }
  };
  struct Timer {
    Task task;
    uint64_t period_ms = 0;  // 0: one-shot
  };

  void Push(int64_t deadline_ms, TimerId id);
  void PopDead();
  void CompactIfMostlyDead();

  std::vector<Entry> heap_;
  std::unordered_map<TimerId, Timer> live_;
  TimerId next_id_ = 1;
};

}  // namespace mq::runtime
