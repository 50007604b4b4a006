// Consumer state used by shutdown, offset reset and orderly retries: ThreadPool's bounded stop,
// ProcessQueue's idle wait and the reconsume counts kept across an orderly rollback.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "client/process_queue.h"
#include "client/thread_pool.h"

using mq::MessageExt;
using mq::MessageQueue;
using namespace mq::client;

namespace {
MessageExt Msg(int64_t offset) {
  MessageExt m;
  m.queue_offset = offset;
  m.body = std::to_string(offset);
  return m;
}
}  // namespace

TEST_CASE("ThreadPool::Stop runs queued tasks and gives up on a stuck one after its timeout") {
  std::atomic<int> ran{0};
  std::atomic<bool> release{false};
  {
    ThreadPool pool(2, 100);
    for (int i = 0; i < 10; ++i) CHECK(pool.Submit([&] { ++ran; }));
    CHECK(pool.Stop(5000));
    CHECK(ran == 10);
    CHECK(!pool.Submit([] {}));
  }
  auto pool = std::make_unique<ThreadPool>(1, 100);
  CHECK(pool->Submit([&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }));
  const auto began = std::chrono::steady_clock::now();
  CHECK(!pool->Stop(100));
  CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(5));
  pool.reset();  // the detached worker keeps the shared state alive
  release = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

TEST_CASE("ThreadPool::Stop from one of its own tasks does not wait for itself") {
  auto pool = std::make_shared<ThreadPool>(2, 10);
  std::atomic<bool> stopped{false};
  CHECK(pool->Submit([&] { stopped = pool->Stop(2000); }));
  for (int i = 0; i < 500 && !stopped; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(stopped);
}

TEST_CASE("an orderly rollback keeps the bumped reconsume count") {
  ProcessQueue pq(MessageQueue{"T", "b", 0});
  pq.Put({Msg(0), Msg(1)});
  auto taken = pq.TakeOrderly(1);
  REQUIRE(taken.size() == 1);
  taken[0].reconsume_times = 3;
  pq.RollbackOrderly(taken);
  auto again = pq.TakeOrderly(2);
  REQUIRE(again.size() == 2);
  CHECK(again[0].queue_offset == 0);
  CHECK(again[0].reconsume_times == 3);
  CHECK(pq.CommitOrderly() == 2);
  CHECK(pq.Count() == 0);
}

TEST_CASE("ProcessQueue::WaitIdle waits for running listeners, bounded") {
  ProcessQueue pq(MessageQueue{"T", "b", 0});
  CHECK(pq.WaitIdle(10));
  pq.consuming = 1;
  CHECK(!pq.WaitIdle(30));
  std::thread done([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pq.consuming = 0;
  });
  CHECK(pq.WaitIdle(5000));
  done.join();
  std::unique_lock<std::mutex> held(pq.consume_mu);
  CHECK(!pq.WaitIdle(30));
  held.unlock();
  CHECK(pq.WaitIdle(10));
  pq.Put({Msg(4), Msg(9)});
  const auto s = pq.Stats();
  CHECK(s.count == 2);
  CHECK(s.min_offset == 4);
  CHECK(s.max_offset == 9);
}
