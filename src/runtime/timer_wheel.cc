#include "runtime/timer_wheel.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "base/assert.h"

namespace mq::runtime {

void TimerWheel::Push(int64_t deadline_ms, TimerId id) {
  heap_.push_back(Entry{deadline_ms, id});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<Entry>());
}

TimerWheel::TimerId TimerWheel::RunAt(int64_t deadline_ms, Task task) {
  MQ_ASSERT(task != nullptr);
  const TimerId id = next_id_++;
  live_.emplace(id, Timer{std::move(task), 0});
  Push(deadline_ms, id);
  return id;
}

TimerWheel::TimerId TimerWheel::RunEvery(int64_t now_ms, uint64_t period_ms, Task task) {
  MQ_ASSERT(task != nullptr);
  MQ_ASSERT_MSG(period_ms > 0, "RunEvery needs a period of at least 1 ms");
  const TimerId id = next_id_++;
  live_.emplace(id, Timer{std::move(task), period_ms});
  Push(now_ms + static_cast<int64_t>(period_ms), id);
  return id;
}

bool TimerWheel::Cancel(TimerId id) {
  const bool erased = live_.erase(id) != 0;
  if (erased) CompactIfMostlyDead();
  return erased;
}

void TimerWheel::CompactIfMostlyDead() {
  if (heap_.size() < 64 || heap_.size() <= 2 * live_.size()) return;
  std::erase_if(heap_, [this](const Entry& e) { return live_.count(e.id) == 0; });
  std::make_heap(heap_.begin(), heap_.end(), std::greater<Entry>());
  MQ_ASSERT(heap_.size() >= live_.size());
}

void TimerWheel::PopDead() {
  while (!heap_.empty() && live_.count(heap_.front().id) == 0) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<Entry>());
    heap_.pop_back();
  }
}

int64_t TimerWheel::NextDeadlineMs() {
  PopDead();
  return heap_.empty() ? -1 : heap_.front().deadline_ms;
}

size_t TimerWheel::RunDue(int64_t now_ms) {
  // Timers armed while running get ids >= this bound; they wait for the next call.
  const TimerId first_new_id = next_id_;
  std::vector<Entry> requeue;
  size_t ran = 0;
  for (;;) {
    PopDead();
    if (heap_.empty() || heap_.front().deadline_ms > now_ms) break;
    const Entry due = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<Entry>());
    heap_.pop_back();
    if (due.id >= first_new_id) {
      requeue.push_back(due);
      continue;
    }
    auto it = live_.find(due.id);
    MQ_ASSERT(it != live_.end());
    Task task;
    if (it->second.period_ms == 0) {
      task = std::move(it->second.task);
      live_.erase(it);
    } else {
      task = it->second.task;  // copy: the task may cancel its own timer while running
      // Re-arm relative to now (not due.deadline) so a stalled shard does not replay a backlog.
      requeue.push_back(Entry{now_ms + static_cast<int64_t>(it->second.period_ms), due.id});
    }
    task();
    ++ran;
  }
  for (const Entry& e : requeue) {
    if (live_.count(e.id) != 0) Push(e.deadline_ms, e.id);
  }
  return ran;
}

}  // namespace mq::runtime
