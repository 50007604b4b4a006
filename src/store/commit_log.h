// CommitLog (spec 5.6, 6.2, 6.6): one logical byte stream of fixed-size segments named by their
// 20-digit start offset, written by appends from any shard concurrently, with no lock.
//
// Append protocol (lock-free): the caller hands already-encoded records (queue offsets filled in by
// the caller, who owns the queue). The commit log reserves [start, end) by a CAS on the write head,
// copies the bytes into the mapping and patches PHYSICALOFFSET and STORETIMESTAMP of every record.
// A record (or a batch, which never straddles) whose size + 8 does not fit in the current segment's
// remainder goes to the start of the next segment, and the same append writes the blank marker at
// the old position. The target segment always exists before the CAS (created inline if the
// preparer did not do it ahead of time), so a full disk fails the append with nothing reserved.
//
// Offsets: min <= flushed <= committed <= max(=write head). committed is the end of the contiguous
// prefix of completed appends: everything below it is fully written and may be read, dispatched and
// flushed; [committed, max) may hold reservations still being copied.
//
// Threads: Append, Read, Scan, the offset getters and PrepareNextSegment may be called from any
// thread at any time. Flush is called by one thread at a time (the flush service). Recover runs
// once, before any append; DeleteExpiredFiles and Close belong to the owner (one thread).
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "model/message_record.h"
#include "store/mapped_file.h"

namespace mq::store {

struct CommitLogOptions {
  std::string dir;                                   // storePathCommitLog
  uint64_t segment_size_bytes = 1073741824;          // mappedFileSizeCommitLog
  bool check_crc_on_recover = true;                  // checkCRCOnRecover
  // Called (from an appending thread, at most once per segment) when the write head passes the
  // middle of a segment whose successor does not exist yet: wake whoever prepares segments.
  std::function<void()> want_next_segment;
};

// A zero-copy view into one segment; holding it keeps the segment mapped (even after retention
// destroyed the file).
struct Slice {
  std::shared_ptr<MappedFile> segment;
  const uint8_t* data = nullptr;
  size_t size_bytes = 0;
  int64_t phys_offset = 0;
};

struct AppendResult {
  int64_t phys_offset = 0;       // where the first record starts
  int64_t end_offset = 0;        // phys_offset + bytes: what SYNC_FLUSH waits for
  int64_t store_timestamp_ms = 0;
  int32_t record_count = 0;
  int32_t blank_bytes = 0;       // > 0: this append closed the previous segment with a blank marker
};

// One record met by Scan. `next_offset` is where the following record starts (the next segment's
// start after a blank marker; blank markers themselves are not reported).
struct ScannedRecord {
  int64_t phys_offset = 0;
  int64_t next_offset = 0;
  model::RecordView view;
};

struct ScanResult {
  int64_t end_offset = 0;      // first offset not consumed (stop point)
  bool hit_invalid = false;    // stopped at a record that failed validation (torn tail)
  bool stopped_by_visitor = false;
};

enum class RecoveryMode { kNormal, kAbnormal };

class CommitLog {
 public:
  // Upper bound on live segments (oldest to newest); creation beyond it fails cleanly.
  static constexpr size_t kMaxSegments = 16384;
  // Upper bound on threads appending at the same instant (slots of the committed watermark).
  static constexpr size_t kWriterSlots = 64;

  // Loads the existing segments of `dir` (creating the directory); every file must be a 20-digit
  // name of exactly segment_size_bytes and they must be contiguous. Positions are at the end of
  // the newest segment until Recover() runs: call Recover before appending to an existing store.
  static Result<std::unique_ptr<CommitLog>> Open(CommitLogOptions options);
  ~CommitLog();

  // Spec 6.6 steps 2-3. kNormal starts at the third-newest segment; kAbnormal at the newest segment
  // whose first record is a message with store time <= min_timestamp_ms (default the oldest). Walks
  // and validates records (CRC per options), calls `visit` for every valid one (may be empty), then
  // zeroes the torn tail, destroys newer segments and sets max = committed = flushed = the stop point.
  Result<int64_t> Recover(RecoveryMode mode, int64_t min_timestamp_ms,
                          const std::function<void(const ScannedRecord&)>& visit);

  // Appends `size_bytes` of back-to-back encoded records (one record or a batch). The bytes are
  // copied; the caller's buffer is not modified. Errors: MESSAGE_ILLEGAL (not a record sequence or
  // larger than a segment), SERVICE_NOT_AVAILABLE (segment creation failed: disk full; the remark
  // says CREATE_MAPEDFILE_FAILED). Nothing is reserved when an error is returned.
  Result<AppendResult> Append(const uint8_t* records, size_t size_bytes, int64_t store_timestamp_ms);

  // Bytes [phys_offset, phys_offset + size) when inside [min, committed) and within one segment.
  Result<Slice> Read(int64_t phys_offset, size_t size_bytes) const;
  // From `from` (a record start or a segment start) up to `limit` (clamped to committed): calls
  // `visit` per valid record until it returns false. Follows blank markers into the next segment.
  ScanResult Scan(int64_t from, int64_t limit, bool check_crc,
                  const std::function<bool(const ScannedRecord&)>& visit) const;

  int64_t min_offset() const { return min_offset_.load(std::memory_order_acquire); }
  int64_t max_offset() const { return head_.load(std::memory_order_acquire); }
  // Recomputes the watermark (cheap: one load per writer slot ever used) and returns it.
  int64_t committed_offset() const;
  int64_t flushed_offset() const { return flushed_.load(std::memory_order_acquire); }
  // The largest store timestamp of any completed append (the checkpoint's physic time, see .cc).
  int64_t last_store_timestamp_ms() const { return last_store_ts_ms_.load(std::memory_order_acquire); }
  uint64_t segment_size_bytes() const { return options_.segment_size_bytes; }
  const std::string& dir() const { return options_.dir; }
  size_t segment_count() const;
  uint64_t segments_created_inline() const { return created_inline_.load(std::memory_order_relaxed); }

  // fdatasync every segment holding bytes in [flushed, committed); flushed advances only on success.
  // Returns the new flushed offset. One caller at a time.
  Result<int64_t> Flush();
  // Creates (and read-populates) the segment holding the write head if it is missing, and its
  // successor once the head is past the middle of its segment. Off the hot path: the flush
  // service's preparer thread. Returns true when it created one.
  Result<bool> PrepareNextSegment();

  // Retention (6.9): from the oldest segment, destroys segments older than file_reserved_time_ms
  // (all when force), at most max_files, never the segment holding the write head or a newer one;
  // stops at the first young one. Returns the count; min_offset moves to the oldest survivor.
  int DeleteExpiredFiles(int64_t file_reserved_time_ms, int64_t now_ms, bool force, int max_files);

  // Segment holding `phys_offset`, or nullptr (deleted, not created yet).
  std::shared_ptr<MappedFile> SegmentFor(int64_t phys_offset) const;

 private:
  explicit CommitLog(CommitLogOptions options);
  int64_t SegmentIndex(int64_t offset) const;
  std::shared_ptr<MappedFile> SegmentAt(int64_t index) const;
  Result<std::shared_ptr<MappedFile>> EnsureSegment(int64_t index, bool inline_path);
  void PublishSegment(int64_t index, std::shared_ptr<MappedFile> file);
  size_t ClaimSlot(int64_t head_seen);
  void MaybeWantNext(int64_t new_head);
  // Scan without the [min, committed) clamp: recovery walks bytes no position vouches for yet.
  ScanResult ScanRaw(int64_t from, int64_t limit, bool check_crc,
                     const std::function<bool(const ScannedRecord&)>& visit) const;
  Status LoadSegments();

  // Writer slot: the start of the reservation in flight, or kFree. Padded against false sharing.
  struct alignas(64) WriterSlot {
    std::atomic<int64_t> in_flight_start{INT64_MAX};
  };
  static constexpr int64_t kFree = INT64_MAX;

  CommitLogOptions options_;
  std::atomic<int64_t> head_{0};
  mutable std::atomic<int64_t> committed_{0};
  std::atomic<int64_t> flushed_{0};
  std::atomic<int64_t> min_offset_{0};
  std::atomic<int64_t> last_store_ts_ms_{0};
  // Segment indexes [first_segment_, last_segment_] are live; slots are indexed modulo kMaxSegments.
  std::atomic<int64_t> first_segment_{0};
  std::atomic<int64_t> last_segment_{-1};
  std::atomic<int64_t> want_next_signalled_{-1};
  std::atomic<uint64_t> created_inline_{0};
  std::atomic<uint64_t> segments_created_{0};
  uint64_t dir_synced_created_ = 0;  // flush thread only
  std::atomic<size_t> slots_used_{0};
  std::array<WriterSlot, kWriterSlots> slots_;
  std::unique_ptr<std::atomic<std::shared_ptr<MappedFile>>[]> segments_;
};

}  // namespace mq::store
