#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "runtime/shard_set.h"

using namespace mq::runtime;

namespace {

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

std::unique_ptr<ShardSet> StartShards(uint32_t n, uint32_t ring_capacity = 4096) {
  RuntimeOptions opts;
  opts.shard_count = n;
  opts.xshard_ring_capacity = ring_capacity;
  auto set = ShardSet::Start(opts);
  REQUIRE(set.ok());
  return std::move(set).value();
}

}  // namespace

TEST_CASE("ParseBackendChoice") {
  CHECK(ParseBackendChoice("uring").value() == BackendChoice::kUring);
  CHECK(ParseBackendChoice("io_uring").value() == BackendChoice::kUring);
  CHECK(ParseBackendChoice("epoll").value() == BackendChoice::kEpoll);
  CHECK(ParseBackendChoice("auto").value() == BackendChoice::kAuto);
  CHECK_FALSE(ParseBackendChoice("kqueue").ok());
}

TEST_CASE("shard set: start, run tasks on the right thread, stop") {
  auto set = StartShards(2);
  CHECK(set->size() == 2);
  CHECK(CurrentShard() == nullptr);
  MESSAGE("backend: " << std::string(set->backend_name()));
  std::atomic<int> seen0{-1}, seen1{-1};
  REQUIRE(set->SubmitTo(0, [&] { seen0 = static_cast<int>(CurrentShard()->id()); }));
  REQUIRE(set->SubmitTo(1, [&] { seen1 = static_cast<int>(CurrentShard()->id()); }));
  CHECK(WaitFor([&] { return seen0 == 0 && seen1 == 1; }));
  set->RequestStop();
  set->Join();
  CHECK_FALSE(set->SubmitTo(0, [] {}));  // stopped: nothing accepts work any more
}

TEST_CASE("shard set: zero shard count means one per core") {
  RuntimeOptions opts;
  opts.backend = BackendChoice::kEpoll;
  auto set = ShardSet::Start(opts);
  REQUIRE(set.ok());
  CHECK(set.value()->size() == std::max(1u, std::thread::hardware_concurrency()));
  CHECK(std::string(set.value()->backend_name()) == "epoll");
}

TEST_CASE("shard set: cross-shard submissions keep order per pair and wake parked shards") {
  auto set = StartShards(3);
  constexpr int kPerSender = 3000;
  std::vector<int> got_from0, got_from2;  // touched only on shard 1
  std::atomic<int> done{0};
  auto sender = [&](uint32_t from, std::vector<int>* sink) {
    REQUIRE(set->SubmitTo(from, [&, sink] {
      for (int i = 0; i < kPerSender; ++i) {
        bool ok = set->SubmitTo(1, [&, sink, i] {
          sink->push_back(i);
          if (static_cast<int>(sink->size()) == kPerSender) ++done;
        });
        if (!ok) FAIL_CHECK("ring unexpectedly full");
      }
    }));
  };
  sender(0, &got_from0);
  sender(2, &got_from2);
  REQUIRE(WaitFor([&] { return done == 2; }));
  std::atomic<bool> checked{false};
  REQUIRE(set->SubmitTo(1, [&] {
    bool ordered = true;
    for (int i = 0; i < kPerSender; ++i) ordered = ordered && got_from0[i] == i && got_from2[i] == i;
    CHECK(ordered);
    checked = true;
  }));
  CHECK(WaitFor([&] { return checked.load(); }));
  // Ping-pong between two parked shards: each hop needs a wake-up.
  std::atomic<int> hops{0};
  std::function<void()> hop = [&] {
    if (++hops >= 200) return;
    const uint32_t next = CurrentShard()->id() == 0 ? 2 : 0;
    set->SubmitTo(next, hop);
  };
  REQUIRE(set->SubmitTo(0, hop));
  CHECK(WaitFor([&] { return hops >= 200; }));
}

TEST_CASE("shard set: a full ring refuses work instead of blocking") {
  auto set = StartShards(2, 8);
  std::atomic<bool> release{false};
  std::atomic<bool> blocked{false};
  std::atomic<int> ran{0};
  // Keep shard 1 busy (test only: shard code never waits like this) so it does not drain.
  REQUIRE(set->SubmitTo(1, [&] {
    blocked = true;
    WaitFor([&] { return release.load(); });
  }));
  REQUIRE(WaitFor([&] { return blocked.load(); }));
  std::atomic<int> accepted{-1};
  std::atomic<bool> last_refused{false};
  REQUIRE(set->SubmitTo(0, [&] {
    int n = 0;
    while (n < 100 && set->SubmitTo(1, [&] { ++ran; })) ++n;
    accepted = n;
    last_refused = n < 100;
  }));
  REQUIRE(WaitFor([&] { return accepted >= 0; }));
  CHECK(accepted == 8);
  CHECK(last_refused);
  release = true;
  CHECK(WaitFor([&] { return ran == 8; }));
}

TEST_CASE("shard set: timers and deferred tasks on a shard") {
  auto set = StartShards(1);
  std::atomic<int64_t> fired_after_ms{-1};
  std::atomic<int> every{0};
  std::atomic<bool> cancelled_ran{false};
  std::atomic<int> order{0};
  std::atomic<int> deferred_at{-1};
  REQUIRE(set->SubmitTo(0, [&] {
    Shard* s = CurrentShard();
    const int64_t start = s->now_ms();
    s->RunAfter(30, [&, s, start] { fired_after_ms = s->now_ms() - start; });
    TimerId id = s->RunAfter(10, [&] { cancelled_ran = true; });
    CHECK(s->Cancel(id));
    TimerId* every_id = new TimerId(0);
    *every_id = s->RunEvery(5, [&, s, every_id] {
      if (++every == 4) {
        s->Cancel(*every_id);
        delete every_id;
      }
    });
    s->Defer([&] { deferred_at = order++; });
    order++;  // runs before the deferred task
  }));
  CHECK(WaitFor([&] { return fired_after_ms >= 0 && every == 4; }));
  CHECK(fired_after_ms >= 30);
  CHECK(fired_after_ms < 2000);
  CHECK(deferred_at == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  CHECK(every == 4);
  CHECK_FALSE(cancelled_ran);
}

TEST_CASE("shard set: stop with work still queued releases it") {
  auto set = StartShards(2);
  auto token = std::make_shared<int>(1);
  std::atomic<bool> queued{false};
  REQUIRE(set->SubmitTo(0, [&, token] {
    // Schedule far-future timers and tasks that will never run; shutdown must free them.
    CurrentShard()->RunAfter(100000, [token] {});
    queued = true;
  }));
  REQUIRE(WaitFor([&] { return queued.load(); }));
  set->RequestStop();
  set->Join();
  set.reset();
  CHECK(token.use_count() == 1);
}
