#include <doctest/doctest.h>

#include <vector>

#include "runtime/timer_wheel.h"

using mq::runtime::TimerWheel;

TEST_CASE("timer wheel: one-shots run in deadline order") {
  TimerWheel w;
  std::vector<int> ran;
  CHECK(w.NextDeadlineMs() == -1);
  w.RunAt(30, [&] { ran.push_back(3); });
  w.RunAt(10, [&] { ran.push_back(1); });
  w.RunAt(20, [&] { ran.push_back(2); });
  CHECK(w.NextDeadlineMs() == 10);
  CHECK(w.RunDue(5) == 0);
  CHECK(w.RunDue(20) == 2);
  CHECK(ran == std::vector<int>{1, 2});
  CHECK(w.NextDeadlineMs() == 30);
  CHECK(w.RunDue(100) == 1);
  CHECK(ran == std::vector<int>{1, 2, 3});
  CHECK(w.size() == 0);
  CHECK(w.NextDeadlineMs() == -1);
}

TEST_CASE("timer wheel: cancel, including from inside a task") {
  TimerWheel w;
  int a = 0, b = 0;
  auto ida = w.RunAt(10, [&] { ++a; });
  TimerWheel::TimerId idb = 0;
  idb = w.RunAt(5, [&] { CHECK(w.Cancel(ida)); });
  CHECK(w.Cancel(w.RunAt(1, [&] { ++b; })));
  CHECK(w.NextDeadlineMs() == 5);
  w.RunDue(50);
  CHECK(a == 0);
  CHECK(b == 0);
  CHECK_FALSE(w.Cancel(idb));  // already ran
  CHECK_FALSE(w.Cancel(12345));
}

TEST_CASE("timer wheel: periodic timers re-arm from now and can cancel themselves") {
  TimerWheel w;
  int ticks = 0;
  TimerWheel::TimerId id = 0;
  id = w.RunEvery(0, 10, [&] {
    if (++ticks == 3) w.Cancel(id);
  });
  CHECK(w.NextDeadlineMs() == 10);
  w.RunDue(10);
  CHECK(ticks == 1);
  CHECK(w.NextDeadlineMs() == 20);
  w.RunDue(100);  // a stall: runs once, not 9 times
  CHECK(ticks == 2);
  CHECK(w.NextDeadlineMs() == 110);
  w.RunDue(110);
  CHECK(ticks == 3);
  CHECK(w.size() == 0);
  w.RunDue(1000);
  CHECK(ticks == 3);
}

TEST_CASE("timer wheel: timers armed by a due task wait for the next call") {
  TimerWheel w;
  int depth = 0;
  std::function<void()> rearm = [&] {
    ++depth;
    w.RunAt(0, rearm);
  };
  w.RunAt(0, rearm);
  CHECK(w.RunDue(0) == 1);
  CHECK(w.RunDue(0) == 1);
  CHECK(depth == 2);
}

TEST_CASE("timer wheel: heavy cancel churn keeps the heap bounded") {
  TimerWheel w;
  for (int i = 0; i < 100000; ++i) w.Cancel(w.RunAt(1000 + i, [] {}));
  CHECK(w.size() == 0);
  CHECK(w.NextDeadlineMs() == -1);
  int ran = 0;
  w.RunAt(5, [&] { ++ran; });
  w.RunDue(5);
  CHECK(ran == 1);
}
