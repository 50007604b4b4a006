// One consume queue (spec 6.3): the (topic, queueId) index into the commit log, stored as fixed-size
// files of 20-byte units in <root>/consumequeue/<topic>/<queueId>/, each named by the 20-digit BYTE
// offset of its first unit. Unit L lives at byte L*20 of the queue's stream.
//
// Ownership: a ConsumeQueue belongs to ONE shard (the dispatcher's). There are no locks inside; every
// call, reads included, must come from the owning shard. Readers on other shards ask it via a task.
//
// Life cycle: construct, Load() the files on disk, Recover() (spec 6.6 step 1), then Append/Read.
// Appends come from the dispatcher in commit-log order and are idempotent by physical end.
//
// File creation off the shard: Append creates a missing file inline (blocking), so the owner asks
// FileStartNeededFor() first and, when a file is needed, has CreateFile() run on another thread and
// hands the result to SetPreparedFile(); Append then takes it without a system call. A prepared file
// is never left where it could break the file sequence at the next Load: it is either the queue's
// first file or the one right after the newest, and is destroyed when the queue moves elsewhere.
// Created files are not synced: a consume queue is rebuilt from the commit log on recovery (units
// past the checkpoint's logics time are re-dispatched; a file with no valid unit is dropped).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/mapped_file.h"

namespace mq::store {

inline constexpr uint64_t kCqUnitBytes = 20;
inline constexpr int64_t kDefaultCqUnitsPerFile = 300000;  // mappedFileSizeConsumeQueue / 20
// Units written before the first real unit of a queue whose first file starts mid-file.
inline constexpr int32_t kCqPaddingSize = 0x7FFFFFFF;

// One decoded unit: (commit-log offset, record size, tagsCode).
struct CqUnit {
  int64_t phys_offset = 0;
  int32_t size_bytes = 0;
  int64_t tags_code = 0;

  bool valid() const { return phys_offset >= 0 && size_bytes > 0; }
  bool padding() const { return phys_offset == 0 && size_bytes == kCqPaddingSize && tags_code == 0; }
  int64_t phys_end() const { return phys_offset + size_bytes; }
};

// Big-endian unit codec; p must hold kCqUnitBytes.
void EncodeCqUnit(const CqUnit& unit, uint8_t* p);
CqUnit DecodeCqUnit(const uint8_t* p);

class ConsumeQueue {
 public:
  // root_dir is storePathRootDir; the queue lives in root_dir/consumequeue/topic/queue_id.
  ConsumeQueue(std::string root_dir, std::string topic, int32_t queue_id,
               int64_t units_per_file = kDefaultCqUnitsPerFile);
  ~ConsumeQueue() = default;
  ConsumeQueue(const ConsumeQueue&) = delete;
  ConsumeQueue& operator=(const ConsumeQueue&) = delete;

  // Opens every file of the directory (a missing directory is an empty queue). Files must be of the
  // configured size and contiguous. Until Recover() the queue is treated as full up to its last file.
  Status Load();
  // Scans from the third-newest file; the first invalid unit (phys < 0, size <= 0, all-zero) ends the
  // queue; the tail is zeroed and newer files are deleted. Sets max offset and max physical end. A
  // queue without any valid unit (a file created but never written before a crash) loses its files:
  // it is empty and its first Append pads a new first file as usual.
  void Recover();

  // Appends the unit of a dispatched record. Ignored (Ok) when phys_offset + size_bytes <= the last
  // physical end (re-dispatch). For a new unit queue_offset must equal max_offset(), except for a
  // queue with no files, whose first file is padded up to queue_offset. Fails only on file creation.
  Status Append(int64_t queue_offset, int64_t phys_offset, int32_t size_bytes, int64_t tags_code);

  // Start byte offset of the file Append(queue_offset, ...) would have to create now (nullopt: none,
  // or it is the prepared file). With ahead=true, also the next file once the write position is past
  // the middle of the newest file, so a rollover finds its file ready.
  std::optional<int64_t> FileStartNeededFor(int64_t queue_offset, bool ahead = false) const;
  // Takes a file made by CreateFile for this queue; the newest wins over an older prepared file.
  // Returns the file the caller must destroy: `file` itself when it cannot continue the sequence
  // (not right after the newest file), the replaced prepared file, or nullptr.
  std::shared_ptr<MappedFile> SetPreparedFile(std::shared_ptr<MappedFile> file);
  // Blocking: creates `dir` (and parents) and a full-size file at start_bytes. Not synced (see top).
  static Result<std::shared_ptr<MappedFile>> CreateFile(const std::string& dir, int64_t start_bytes,
                                                        uint64_t file_bytes);
  uint64_t file_bytes() const { return static_cast<uint64_t>(units_per_file_) * kCqUnitBytes; }
  // Off-thread flush: appends the files holding unflushed units (per min_dirty_pages as in Flush) to
  // `out` and returns the write position they cover, or nullopt when nothing is due. Once those
  // files were synced, MarkFlushed(that position) records it.
  std::optional<uint64_t> CollectFlush(int min_dirty_pages, std::vector<std::shared_ptr<MappedFile>>& out) const;
  void MarkFlushed(uint64_t pos_bytes);

  // Appends up to max_units (at most 2^20) units starting at queue_offset to out; returns how many.
  // Reads nothing when queue_offset is outside [min_offset, max_offset).
  size_t Read(int64_t queue_offset, size_t max_units, std::vector<CqUnit>& out) const;
  // The unit at queue_offset, nullopt outside [min_offset, max_offset). Physical offsets grow with
  // the queue offset, so callers may binary-search (e.g. offset by store time) over At().
  std::optional<CqUnit> At(int64_t queue_offset) const;

  int64_t min_offset() const { return min_offset_; }
  int64_t max_offset() const { return static_cast<int64_t>(write_pos_bytes_ / kCqUnitBytes); }
  // End (phys + size) of the newest real unit; 0 for a queue without units.
  int64_t max_phys_end() const { return max_phys_end_; }
  const std::string& topic() const { return topic_; }
  int32_t queue_id() const { return queue_id_; }
  const std::string& dir() const { return dir_; }
  size_t file_count() const { return files_.size(); }

  // Min offset = first unit whose phys offset >= commit_log_min_offset (never moves backwards).
  void CorrectMinOffset(int64_t commit_log_min_offset);
  // Drops every unit that points at or past phys_offset_limit (or ends past it): recovery step 4.
  void TruncateDirty(int64_t phys_offset_limit);
  // fdatasync of the dirty files. With min_dirty_pages > 0, does nothing unless at least that many
  // 4 KiB pages were written since the last flush (the flushConsumeQueueLeastPages rule).
  Status Flush(int min_dirty_pages = 0);
  // Deletes the oldest files (never the newest) whose last unit points below commit_log_min_offset,
  // then corrects the min offset. Returns the number of files deleted.
  size_t DeleteExpiredFiles(int64_t commit_log_min_offset);
  // Deletes every file and the queue directory; the queue is empty afterwards.
  void Destroy();

 private:
  // The file holding stream byte pos, or nullptr.
  const MappedFile* FileAt(uint64_t pos_bytes) const;
  CqUnit UnitAtPos(uint64_t pos_bytes) const;
  // Write position becomes pos_bytes: the tail of its file is zeroed, newer files deleted.
  void TruncateTo(uint64_t pos_bytes);
  void RefreshMaxPhysEnd();
  // First non-padding unit of the oldest file (the natural min offset before correction).
  int64_t FirstRealOffset() const;
  Result<MappedFile*> FileForWrite(uint64_t pos_bytes);

  std::string topic_;
  int32_t queue_id_;
  std::string dir_;
  int64_t units_per_file_;
  std::vector<std::shared_ptr<MappedFile>> files_;  // ascending, contiguous
  std::shared_ptr<MappedFile> prepared_;            // created off the shard, not yet in files_
  uint64_t write_pos_bytes_ = 0;                    // stream position of the next unit
  uint64_t flushed_pos_bytes_ = 0;
  int64_t min_offset_ = 0;
  int64_t max_phys_end_ = 0;
};

}  // namespace mq::store
