// Thread-per-core runtime: N shards, each a thread with its own I/O backend (io_uring, or epoll
// where io_uring cannot be set up), its own timer wheel and its own ends of the cross-shard rings.
// Shard code never blocks, sleeps or takes a lock on the request path; cross-shard work is an
// explicit Task through a bounded single-producer/single-consumer ring per (from, to) pair.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace mq::runtime {

class IoBackend;

enum class BackendChoice { kAuto, kUring, kEpoll };

struct RuntimeOptions {
  uint32_t shard_count = 0;              // 0: one per available core
  BackendChoice backend = BackendChoice::kAuto;
  uint32_t xshard_ring_capacity = 4096;  // tasks per (from, to) ring; a power of two
};

// Parses "uring" / "epoll" / "auto"; also used for the MQ_IO_BACKEND environment variable.
Result<BackendChoice> ParseBackendChoice(const std::string& text);

using Task = std::function<void()>;
using TimerId = uint64_t;

class Shard {
 public:
  virtual ~Shard() = default;
  virtual uint32_t id() const = 0;
  // Milliseconds on a monotonic clock, refreshed once per loop iteration.
  virtual int64_t now_ms() const = 0;
  // Timers run on this shard. Call only from this shard's thread.
  virtual TimerId RunAfter(uint64_t delay_ms, Task task) = 0;
  virtual TimerId RunEvery(uint64_t period_ms, Task task) = 0;
  virtual bool Cancel(TimerId id) = 0;
  virtual IoBackend& backend() = 0;
  // Runs `task` on this shard after the callbacks of the current loop iteration and before the
  // loop blocks again: how the net layer batches every frame queued in one iteration into one
  // send. Call only from this shard's thread.
  virtual void Defer(Task task) = 0;
};

// The shard whose thread is calling, or nullptr on any other thread.
Shard* CurrentShard();

class ShardSet {
 public:
  virtual ~ShardSet() = default;
  // Picks the backend (logging one line saying which and why), starts the shard threads.
  static Result<std::unique_ptr<ShardSet>> Start(const RuntimeOptions& options);

  virtual uint32_t size() const = 0;
  virtual const char* backend_name() const = 0;  // "io_uring" or "epoll"
  virtual Shard& shard(uint32_t id) = 0;
  // Runs `task` on shard `to`. From a shard thread it goes through that shard's SPSC ring to `to`
  // (false when the ring is full: the caller decides to retry, shed or fail the request). From any
  // other thread it goes through a locked injection queue meant for start-up and shutdown only.
  virtual bool SubmitTo(uint32_t to, Task task) = 0;
  // Asks every shard loop to finish; thread-safe. Join() waits for the threads.
  virtual void RequestStop() = 0;
  virtual void Join() = 0;
};

}  // namespace mq::runtime
