#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "runtime/spsc_ring.h"

using mq::runtime::SpscRing;

TEST_CASE("spsc ring: fifo order, full and empty") {
  SpscRing<int> ring(4);
  CHECK(ring.capacity() == 4);
  CHECK(ring.Empty());
  int out = -1;
  CHECK_FALSE(ring.TryPop(out));
  for (int i = 0; i < 4; ++i) {
    int v = i;
    CHECK(ring.TryPush(std::move(v)));
  }
  int extra = 99;
  CHECK_FALSE(ring.TryPush(std::move(extra)));
  CHECK(extra == 99);  // untouched on failure
  CHECK(ring.SizeApprox() == 4);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(ring.TryPop(out));
    CHECK(out == i);
  }
  CHECK_FALSE(ring.TryPop(out));
  // Wrap around many times.
  for (int i = 0; i < 1000; ++i) {
    int v = i;
    REQUIRE(ring.TryPush(std::move(v)));
    REQUIRE(ring.TryPop(out));
    CHECK(out == i);
  }
}

TEST_CASE("spsc ring: owns non-trivial items and destroys leftovers") {
  auto token = std::make_shared<int>(7);
  {
    SpscRing<std::shared_ptr<int>> ring(8);
    for (int i = 0; i < 5; ++i) {
      auto copy = token;
      REQUIRE(ring.TryPush(std::move(copy)));
    }
    CHECK(token.use_count() == 6);
    std::shared_ptr<int> out;
    REQUIRE(ring.TryPop(out));
    out.reset();
    CHECK(token.use_count() == 5);
  }
  CHECK(token.use_count() == 1);
}

TEST_CASE("spsc ring: two-thread stress keeps order and loses nothing") {
  constexpr uint64_t kItems = 2'000'000;
  SpscRing<uint64_t> ring(1024);
  std::atomic<bool> failed{false};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kItems;) {
      uint64_t v = i;
      if (ring.TryPush(std::move(v))) {
        ++i;
      } else if (std::chrono::steady_clock::now() > deadline) {
        failed = true;
        return;
      }
    }
  });
  uint64_t expected = 1;
  uint64_t sum = 0;
  while (expected <= kItems) {
    uint64_t v;
    if (ring.TryPop(v)) {
      if (v != expected) {
        failed = true;
        break;
      }
      sum += v;
      ++expected;
    } else if (failed || std::chrono::steady_clock::now() > deadline) {
      break;
    }
  }
  producer.join();
  CHECK_FALSE(failed.load());
  CHECK(expected == kItems + 1);
  CHECK(sum == kItems * (kItems + 1) / 2);
}
