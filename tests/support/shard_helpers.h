// Test helpers for code that lives on shards: run a function on a shard and wait for it, poll a
// condition with a deadline. Every wait is bounded.
#pragma once
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "runtime/shard_set.h"

namespace mq::testing {

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Runs fn on shard `id` and waits for it (up to 5 s).
inline void RunOn(runtime::ShardSet& set, uint32_t id, std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  REQUIRE(set.SubmitTo(id, [fn, done] {
    fn();
    done->set_value();
  }));
  REQUIRE(fut.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
}

// Runs fn(resolve) on shard `id`; fn calls resolve(value) now or later (on any shard). Waits 10 s.
template <typename T>
T RunAsyncOn(runtime::ShardSet& set, uint32_t id, std::function<void(std::function<void(T)>)> fn) {
  auto promise = std::make_shared<std::promise<T>>();
  auto fut = promise->get_future();
  REQUIRE(set.SubmitTo(id, [fn, promise] { fn([promise](T v) { promise->set_value(std::move(v)); }); }));
  REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return fut.get();
}

}  // namespace mq::testing
