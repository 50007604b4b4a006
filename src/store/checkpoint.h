// The checkpoint file (spec 6.5): <root>/checkpoint, 4096 bytes, three big-endian longs at 0, 8 and
// 16: physicMsgTimestamp, logicsMsgTimestamp, indexMsgTimestamp. Abnormal recovery starts from the
// newest commit-log segment whose first record is older than MinTimestampMs().
//
// Threads: the getters and setters are atomics, callable from any thread (the commit-log flush
// thread sets physic, the consume-queue flusher logics, the index service index). Flush writes all
// three and fdatasyncs; it takes a small mutex of its own (flush threads only, never a shard).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"

namespace mq::store {

class Checkpoint {
 public:
  static constexpr size_t kFileBytes = 4096;
  // RocketMQ keeps this slack below min(physic, logics) for records stamped out of order.
  static constexpr int64_t kMinTimestampSlackMs = 3000;

  // Opens (creating a zero-filled file if missing) and reads the three timestamps.
  static Result<std::unique_ptr<Checkpoint>> Open(const std::string& path);
  ~Checkpoint();

  int64_t physic_ms() const { return physic_ms_.load(std::memory_order_acquire); }
  int64_t logics_ms() const { return logics_ms_.load(std::memory_order_acquire); }
  int64_t index_ms() const { return index_ms_.load(std::memory_order_acquire); }
  void set_physic_ms(int64_t v) { physic_ms_.store(v, std::memory_order_release); }
  void set_logics_ms(int64_t v) { logics_ms_.store(v, std::memory_order_release); }
  void set_index_ms(int64_t v) { index_ms_.store(v, std::memory_order_release); }

  // min(physic, logics) - 3000, floored at 0.
  int64_t MinTimestampMs() const;
  // min(MinTimestampMs(), index): when messageIndexEnable && messageIndexSafe.
  int64_t MinTimestampIndexMs() const;

  // Writes the 4096-byte image and fdatasyncs it (honours GlobalFileFaults().fail_sync).
  Status Flush();
  const std::string& path() const { return path_; }

 private:
  Checkpoint() = default;
  int fd_ = -1;
  std::string path_;
  std::atomic<int64_t> physic_ms_{0};
  std::atomic<int64_t> logics_ms_{0};
  std::atomic<int64_t> index_ms_{0};
  std::mutex flush_mu_;
};

}  // namespace mq::store
