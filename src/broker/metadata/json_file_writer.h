// JsonFileWriter: writes the broker's config/*.json files (PersistJsonFile: tmp + fsync, .bak,
// rename, directory fsync) without blocking a shard. The caller serializes on the thread that owns
// the data and hands the bytes over; on a shard, while the writer runs, the file work goes to a
// runtime::BlockingWorker thread. Writes of one path coalesce: while a write is queued and not yet
// taken by the worker, a newer text replaces its bytes instead of queueing another job.
//
// Ordering: every Write of a path gets a generation; a file is only ever replaced by a newer
// generation, so a queued background write never overwrites a later synchronous one (the final
// persistence at shutdown) even when both race.
//
// Off a shard (start-up, shutdown, tests) or when the writer is not running, Write is synchronous
// and returns the file's status. Stop() finishes every queued write before it returns, so a
// change made just before a clean stop is on disk.
//
// Threads: Write from any thread (shard ids index per-shard state; each shard's own thread only);
// Start/Stop from the owner.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace mq::broker {

class JsonFileWriter {
 public:
  explicit JsonFileWriter(uint32_t shard_count);
  ~JsonFileWriter();  // Stop()
  JsonFileWriter(const JsonFileWriter&) = delete;
  JsonFileWriter& operator=(const JsonFileWriter&) = delete;

  void Start();
  // Runs every queued write, then later writes are synchronous.
  void Stop();
  bool running() const;

  // Persists `text` as `path`. Queued (Ok; a failure is logged when it happens) on a shard while
  // running, synchronous otherwise. Falls back to a synchronous write when the queue is full.
  Status Write(const std::string& path, std::string text);

  // Files actually written since construction (any thread; tests and logs).
  uint64_t files_written() const;

  struct Impl;  // shared with the shard poll timers (implementation detail)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mq::broker
