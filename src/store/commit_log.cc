// CommitLog: lock-free appends, the committed watermark, reads, flush, segment preparation and
// retention. Opening and recovery live in commit_log_recover.cc.
//
// The committed watermark, and why it is exact:
//   Writer (per append):  W1 slot.store(h)        [seq_cst]  h = the head value it saw
//                         W2 head.CAS(h -> h + n)  [seq_cst]  on failure: back to W1 with the new h
//                         W3 copy + patch bytes in [h, h + n)
//                         W4 slot.store(kFree)     [release]
//   Reader:               R1 H = head.load()       [seq_cst]
//                         R2 n = slots_used.load(); R3 v_i = slot_i.load() [seq_cst, so acquire]
//                         committed = min(H, min v_i)
//   Take any append [a, b) with b <= H. Its W2 is before R1 in the single seq_cst order (head only
//   grows, and R1 read a value >= b), so its W1 (program-order earlier, also seq_cst) is before R3.
//   R3 therefore reads a (the append is in flight: committed <= a, it is excluded), or a later value
//   of that slot, which that writer can only store after W4: then W4 released the bytes and R3's
//   acquire sees them. Appends with a >= H lie above the result anyway. So every byte below the
//   result is completely written. A writer that stored a stale h at W1 and then lost the CAS can make
//   one reading too low, never too high; committed_ keeps the maximum ever computed so it never goes
//   backwards (a lower reading is still a correct prefix). slots_used is raised (seq_cst) before a
//   slot is first claimed, so R2 covers every slot whose W1 precedes R1.
#include "store/commit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "base/bytes.h"
#include "base/log.h"
#include "model/message_layout.h"

namespace mq::store {

namespace {

void AtomicMax(std::atomic<int64_t>& target, int64_t value) {
  int64_t cur = target.load(std::memory_order_relaxed);
  while (cur < value && !target.compare_exchange_weak(cur, value, std::memory_order_acq_rel)) {
  }
}

int32_t ReadTotalSize(const uint8_t* p) {
  uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return static_cast<int32_t>(__builtin_bswap32(v));
}
uint32_t ReadMagic(const uint8_t* p) {
  uint32_t v = 0;
  std::memcpy(&v, p + model::layout::kMagicOffset, 4);
  return __builtin_bswap32(v);
}
int64_t ReadQueueOffset(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p + model::layout::kQueueOffsetOffset, 8);
  return static_cast<int64_t>(__builtin_bswap64(v));
}

thread_local size_t tls_slot_hint = 0;

}  // namespace

CommitLog::CommitLog(CommitLogOptions options)
    : options_(std::move(options)),
      segments_(new std::atomic<std::shared_ptr<MappedFile>>[kMaxSegments]) {}

CommitLog::~CommitLog() {
  for (size_t i = 0; i < kWriterSlots; ++i) {
    MQ_ASSERT_MSG(slots_[i].in_flight_start.load() == kFree, "commit log destroyed during an append");
  }
}

int64_t CommitLog::SegmentIndex(int64_t offset) const {
  MQ_ASSERT(offset >= 0);
  return offset / static_cast<int64_t>(options_.segment_size_bytes);
}

std::shared_ptr<MappedFile> CommitLog::SegmentAt(int64_t index) const {
  if (index < 0) return nullptr;
  std::shared_ptr<MappedFile> f =
      segments_[static_cast<size_t>(index) % kMaxSegments].load(std::memory_order_acquire);
  // The start offset tells a live segment from a stale one sharing the slot (modulo kMaxSegments).
  if (f == nullptr || f->start_offset() != index * static_cast<int64_t>(options_.segment_size_bytes)) {
    return nullptr;
  }
  return f;
}

std::shared_ptr<MappedFile> CommitLog::SegmentFor(int64_t phys_offset) const {
  if (phys_offset < 0) return nullptr;
  return SegmentAt(SegmentIndex(phys_offset));
}

size_t CommitLog::segment_count() const {
  size_t n = 0;
  const int64_t last = last_segment_.load(std::memory_order_acquire);
  for (int64_t i = first_segment_.load(std::memory_order_acquire); i <= last; ++i) n += SegmentAt(i) ? 1 : 0;
  return n;
}

void CommitLog::PublishSegment(int64_t index, std::shared_ptr<MappedFile> file) {
  MQ_ASSERT(file->start_offset() == index * static_cast<int64_t>(options_.segment_size_bytes));
  segments_[static_cast<size_t>(index) % kMaxSegments].store(std::move(file), std::memory_order_release);
  AtomicMax(last_segment_, index);
}

Result<std::shared_ptr<MappedFile>> CommitLog::EnsureSegment(int64_t index, bool inline_path) {
  if (auto f = SegmentAt(index)) return f;
  if (index - first_segment_.load(std::memory_order_acquire) >= static_cast<int64_t>(kMaxSegments)) {
    return Status::Error(ResponseCode::kServiceNotAvailable,
                         "CREATE_MAPEDFILE_FAILED: more than " + std::to_string(kMaxSegments) + " live segments");
  }
  const int64_t start = index * static_cast<int64_t>(options_.segment_size_bytes);
  auto opened = MappedFile::Open(options_.dir, start, options_.segment_size_bytes, /*create=*/true);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<MappedFile> mine = std::move(opened).value();
  if (!inline_path) {
    // Before publishing, so writers find the page cache populated. Read-populated, never written:
    // writing (or write-populating) zeros would dirty the whole segment, and either a sync here or
    // the first group commit would then write it to disk once as zeros and again as data.
    //
    // No fdatasync and no directory fsync at creation either. fallocate reserved the blocks (a full
    // disk already failed above), and the file needs to survive a crash only once acknowledged data
    // is in it. Flush() syncs the directory before the first fdatasync that covers such data (the
    // segment is counted in segments_created_ before any append can reserve bytes in it). A segment
    // lost or left all-zero by a crash before that is harmless: recovery stops at its first byte
    // (a blank marker that leads to a missing segment, or a zero TOTALSIZE), which is at or past
    // every flushed byte, and the segment is created again. The temporary name + rename keeps a
    // short file from ever carrying a real name (journaling file systems order the rename after the
    // allocation; see MappedFile::CreateFullSize).
    mine->PrefaultRead();
  }
  // Racing creators map the same file; the first to publish wins, the others drop their mapping.
  auto& slot = segments_[static_cast<size_t>(index) % kMaxSegments];
  std::shared_ptr<MappedFile> seen = slot.load(std::memory_order_acquire);
  while (seen == nullptr || seen->start_offset() != start) {
    if (slot.compare_exchange_weak(seen, mine, std::memory_order_acq_rel)) {
      AtomicMax(last_segment_, index);
      segments_created_.fetch_add(1, std::memory_order_acq_rel);
      if (inline_path) created_inline_.fetch_add(1, std::memory_order_relaxed);
      return mine;
    }
  }
  return seen;
}

size_t CommitLog::ClaimSlot(int64_t head_seen) {
  for (size_t spins = 0;; ++spins) {
    for (size_t k = 0; k < kWriterSlots; ++k) {
      const size_t i = (tls_slot_hint + k) % kWriterSlots;
      // Raise slots_used before the claim so a reader that can see our reservation scans this slot.
      size_t used = slots_used_.load(std::memory_order_seq_cst);
      while (used < i + 1 && !slots_used_.compare_exchange_weak(used, i + 1, std::memory_order_seq_cst)) {
      }
      int64_t expected = kFree;
      if (slots_[i].in_flight_start.compare_exchange_strong(expected, head_seen, std::memory_order_seq_cst)) {
        tls_slot_hint = i;
        return i;
      }
    }
    // More than kWriterSlots appenders at the same instant: rare; let one finish.
    std::this_thread::yield();
  }
}

void CommitLog::MaybeWantNext(int64_t new_head) {
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  if (new_head % seg_size < seg_size / 2) return;
  const int64_t index = SegmentIndex(new_head);
  int64_t signalled = want_next_signalled_.load(std::memory_order_acquire);
  if (signalled >= index) return;
  if (!want_next_signalled_.compare_exchange_strong(signalled, index, std::memory_order_acq_rel)) return;
  if (SegmentAt(index + 1) == nullptr && options_.want_next_segment) options_.want_next_segment();
}

Result<AppendResult> CommitLog::Append(const uint8_t* records, size_t size_bytes, int64_t store_timestamp_ms) {
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  // Validate the sequence before reserving anything: a bad input must not leave a hole.
  int32_t count = 0;
  for (size_t pos = 0; pos < size_bytes;) {
    if (size_bytes - pos < model::layout::kMinRecordBytes) return Status::Error(ResponseCode::kMessageIllegal, "truncated record");
    const int32_t total = ReadTotalSize(records + pos);
    if (total < static_cast<int32_t>(model::layout::kMinRecordBytes) || static_cast<size_t>(total) > size_bytes - pos ||
        ReadMagic(records + pos) != model::kMessageMagic) {
      return Status::Error(ResponseCode::kMessageIllegal, "not an encoded record sequence");
    }
    pos += static_cast<size_t>(total);
    ++count;
  }
  if (count == 0) return Status::Error(ResponseCode::kMessageIllegal, "empty append");
  if (static_cast<int64_t>(size_bytes) + static_cast<int64_t>(model::kBlankMarkerBytes) > seg_size) {
    return Status::Error(ResponseCode::kMessageIllegal, "append of " + std::to_string(size_bytes) +
                                                           " bytes does not fit in a commit-log segment");
  }
  const int64_t n = static_cast<int64_t>(size_bytes);

  int64_t h = head_.load(std::memory_order_seq_cst);
  const size_t slot = ClaimSlot(h);
  std::atomic<int64_t>& in_flight = slots_[slot].in_flight_start;
  int64_t start = 0;
  int64_t blank = 0;
  int64_t target = 0;
  for (;;) {
    in_flight.store(h, std::memory_order_seq_cst);  // W1: never above the reservation it guards
    const int64_t pos = h % seg_size;
    const int64_t remaining = seg_size - pos;
    MQ_ASSERT(remaining >= static_cast<int64_t>(model::kBlankMarkerBytes));  // always room for a marker
    if (n + static_cast<int64_t>(model::kBlankMarkerBytes) <= remaining) {
      start = h;
      blank = 0;
    } else {
      start = h + remaining;
      blank = remaining;
    }
    target = SegmentIndex(start);
    // The segment exists before the reservation: a failed creation reserves nothing.
    auto seg = EnsureSegment(target, /*inline_path=*/true);
    if (!seg.ok()) {
      in_flight.store(kFree, std::memory_order_release);
      return seg.status();
    }
    if (head_.compare_exchange_strong(h, start + n, std::memory_order_seq_cst)) break;  // W2
  }

  // W3: we own [h, start + n).
  std::shared_ptr<MappedFile> seg = SegmentAt(target);
  MQ_ASSERT(seg != nullptr);  // retention never removes the segment holding the write head
  uint8_t* dst = seg->data() + (start % seg_size);
  MQ_ASSERT(start % seg_size + n + static_cast<int64_t>(model::kBlankMarkerBytes) <= seg_size);
  std::memcpy(dst, records, size_bytes);
  for (int64_t off = 0; off < n;) {
    const int32_t total = ReadTotalSize(dst + off);
    model::PatchAppendFields(dst + off, static_cast<size_t>(total), ReadQueueOffset(dst + off), start + off,
                             store_timestamp_ms);
    off += total;
  }
  if (blank > 0) {
    std::shared_ptr<MappedFile> prev = SegmentAt(target - 1);
    MQ_ASSERT(prev != nullptr && h % seg_size + blank == seg_size);
    uint8_t* marker = prev->data() + (h % seg_size);
    model::EncodeBlankMarker(marker, static_cast<size_t>(blank), static_cast<int32_t>(blank));
    MQ_ASSERT(model::IsBlankMarker(marker, static_cast<size_t>(blank)));
  }
  AtomicMax(last_store_ts_ms_, store_timestamp_ms);
  in_flight.store(kFree, std::memory_order_release);  // W4
  MaybeWantNext(start + n);

  return AppendResult{start, start + n, store_timestamp_ms, count, static_cast<int32_t>(blank)};
}

int64_t CommitLog::committed_offset() const {
  const int64_t head = head_.load(std::memory_order_seq_cst);                 // R1
  const size_t used = slots_used_.load(std::memory_order_seq_cst);            // R2
  int64_t low = head;
  for (size_t i = 0; i < used; ++i) {
    const int64_t v = slots_[i].in_flight_start.load(std::memory_order_seq_cst);  // R3
    if (v < low) low = v;
  }
  AtomicMax(committed_, low);
  const int64_t c = committed_.load(std::memory_order_acquire);
  MQ_ASSERT(c <= head_.load(std::memory_order_acquire));
  return c;
}

Result<Slice> CommitLog::Read(int64_t phys_offset, size_t size_bytes) const {
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  if (phys_offset < min_offset() || phys_offset + static_cast<int64_t>(size_bytes) > committed_offset()) {
    return Status::SystemError("commit log read [" + std::to_string(phys_offset) + ", +" +
                               std::to_string(size_bytes) + ") outside [min, committed)");
  }
  if (phys_offset % seg_size + static_cast<int64_t>(size_bytes) > seg_size) {
    return Status::SystemError("commit log read spans two segments at " + std::to_string(phys_offset));
  }
  Slice s;
  s.segment = SegmentFor(phys_offset);
  if (s.segment == nullptr) return Status::SystemError("commit log segment gone at " + std::to_string(phys_offset));
  s.data = s.segment->data() + phys_offset % seg_size;
  s.size_bytes = size_bytes;
  s.phys_offset = phys_offset;
  return s;
}

ScanResult CommitLog::ScanRaw(int64_t from, int64_t limit, bool check_crc,
                              const std::function<bool(const ScannedRecord&)>& visit) const {
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  ScanResult r;
  int64_t off = from;
  std::shared_ptr<MappedFile> seg;
  while (off < limit) {
    if (seg == nullptr || SegmentIndex(off) != SegmentIndex(seg->start_offset())) {
      seg = SegmentFor(off);
      if (seg == nullptr) break;
    }
    const int64_t pos = off % seg_size;
    const uint8_t* p = seg->data() + pos;
    const size_t left = static_cast<size_t>(seg_size - pos);
    const model::RecordKind kind = model::PeekRecordKind(p, left);
    if (kind == model::RecordKind::kBlank) {
      // The marker's TOTALSIZE must be exactly the rest of the segment; else it is garbage.
      if (static_cast<size_t>(ReadTotalSize(p)) != left) {
        r.hit_invalid = true;
        break;
      }
      off += static_cast<int64_t>(left);
      continue;
    }
    if (kind == model::RecordKind::kEnd) break;
    if (kind == model::RecordKind::kCorrupt) {
      r.hit_invalid = true;
      break;
    }
    const int32_t total = ReadTotalSize(p);
    if (total <= 0 || static_cast<size_t>(total) + model::kBlankMarkerBytes > left) {
      r.hit_invalid = true;  // a writer never leaves less than a marker's room after a record
      break;
    }
    if (off + total > limit) break;  // not committed yet
    auto view = model::RecordView::Parse(p, static_cast<size_t>(total), check_crc);
    if (!view.ok() || view->physical_offset() != off) {
      r.hit_invalid = true;
      break;
    }
    ScannedRecord rec;
    rec.phys_offset = off;
    rec.next_offset = off + total;
    rec.view = view.value();
    if (!visit(rec)) {
      r.stopped_by_visitor = true;
      r.end_offset = off;
      return r;
    }
    off += total;
  }
  r.end_offset = off;
  return r;
}

ScanResult CommitLog::Scan(int64_t from, int64_t limit, bool check_crc,
                           const std::function<bool(const ScannedRecord&)>& visit) const {
  const int64_t committed = committed_offset();
  return ScanRaw(std::max(from, min_offset()), std::min(limit, committed), check_crc, visit);
}

Result<int64_t> CommitLog::Flush() {
  const int64_t target = committed_offset();
  const int64_t done = flushed_.load(std::memory_order_acquire);
  // New file names are durable only once the directory is synced.
  const uint64_t created = segments_created_.load(std::memory_order_acquire);
  if (created != dir_synced_created_) {
    const int dfd = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      const int rc = ::fsync(dfd);
      ::close(dfd);
      if (rc != 0) return Status::SystemError("fsync " + options_.dir + " failed");
    }
    dir_synced_created_ = created;
  }
  if (target <= done) return done;
  MQ_ASSERT(done >= 0 && target > done);
  for (int64_t i = SegmentIndex(done); i <= SegmentIndex(target - 1); ++i) {
    std::shared_ptr<MappedFile> seg = SegmentAt(i);
    if (seg == nullptr) continue;  // removed by retention: nothing left to make durable
    Status s = seg->Sync();
    if (!s.ok()) return s;
  }
  MQ_ASSERT(target <= committed_offset());
  flushed_.store(target, std::memory_order_release);
  return target;
}

Result<bool> CommitLog::PrepareNextSegment() {
  const int64_t head = head_.load(std::memory_order_acquire);
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  // The successor only once the head is past the middle (when MaybeWantNext asks): preparing it at
  // start would populate a second segment while the shards take their first requests.
  const bool want_next = head % seg_size >= seg_size / 2;
  bool created = false;
  for (int64_t index : {SegmentIndex(head), SegmentIndex(head) + 1}) {
    if (index > SegmentIndex(head) && !want_next) break;
    if (SegmentAt(index) != nullptr) continue;
    auto seg = EnsureSegment(index, /*inline_path=*/false);
    if (!seg.ok()) return seg.status();
    created = true;
  }
  return created;
}

int CommitLog::DeleteExpiredFiles(int64_t file_reserved_time_ms, int64_t now_ms, bool force, int max_files) {
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  // Never the segment holding the write head nor the newest one (which may be a prepared one).
  const int64_t limit = std::min(SegmentIndex(head_.load(std::memory_order_acquire)),
                                 last_segment_.load(std::memory_order_acquire));
  int deleted = 0;
  for (int64_t i = first_segment_.load(std::memory_order_acquire); i < limit && deleted < max_files; ++i) {
    std::shared_ptr<MappedFile> seg = SegmentAt(i);
    if (seg != nullptr) {
      if (!force && now_ms - seg->last_modified_ms() < file_reserved_time_ms) break;
      // min offset first: a reader then fails cleanly or holds a pin that keeps the mapping.
      min_offset_.store((i + 1) * seg_size, std::memory_order_release);
      seg->Destroy();
      segments_[static_cast<size_t>(i) % kMaxSegments].store(nullptr, std::memory_order_release);
      MQ_LOG_INFO("commit log: deleted expired segment {}", seg->path());
      ++deleted;
    }
    first_segment_.store(i + 1, std::memory_order_release);
  }
  return deleted;
}

}  // namespace mq::store
