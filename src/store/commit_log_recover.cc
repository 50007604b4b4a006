// CommitLog: opening a directory of segments and recovery (spec 6.6 steps 2-3).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/log.h"
#include "store/commit_log.h"

namespace mq::store {

namespace {

Status MakeDirs(const std::string& dir) {
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    cur = dir.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::SystemError("mkdir " + cur + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<CommitLog>> CommitLog::Open(CommitLogOptions options) {
  if (options.dir.empty()) return Status::SystemError("commit log directory not set");
  if (options.segment_size_bytes < 4096 || options.segment_size_bytes > (uint64_t{1} << 40)) {
    return Status::SystemError("mappedFileSizeCommitLog out of range: " + std::to_string(options.segment_size_bytes));
  }
  std::unique_ptr<CommitLog> log(new CommitLog(std::move(options)));
  Status s = log->LoadSegments();
  if (!s.ok()) return s;
  return log;
}

Status CommitLog::LoadSegments() {
  Status s = MakeDirs(options_.dir);
  if (!s.ok()) return s;
  DIR* d = ::opendir(options_.dir.c_str());
  if (d == nullptr) return Status::SystemError("opendir " + options_.dir + ": " + std::strerror(errno));
  std::vector<int64_t> offsets;
  while (struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    auto off = OffsetFromFileName(name);
    if (!off.ok()) {
      MQ_LOG_WARN("commit log: ignoring {}/{}", options_.dir, name);
      continue;
    }
    offsets.push_back(off.value());
  }
  ::closedir(d);
  std::sort(offsets.begin(), offsets.end());
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  if (offsets.size() > kMaxSegments) return Status::SystemError("too many commit-log segments");
  for (size_t i = 0; i < offsets.size(); ++i) {
    if (offsets[i] % seg_size != 0) {
      return Status::SystemError("commit-log segment " + FileNameForOffset(offsets[i]) +
                                 " is not a multiple of mappedFileSizeCommitLog " + std::to_string(seg_size));
    }
    if (i > 0 && offsets[i] != offsets[i - 1] + seg_size) {
      return Status::SystemError("commit-log segments are not contiguous at " + FileNameForOffset(offsets[i]));
    }
    auto f = MappedFile::Open(options_.dir, offsets[i], options_.segment_size_bytes, /*create=*/false);
    if (!f.ok()) return f.status();
    PublishSegment(SegmentIndex(offsets[i]), std::move(f).value());
  }
  const int64_t first = offsets.empty() ? 0 : offsets.front();
  first_segment_.store(SegmentIndex(first));
  if (offsets.empty()) last_segment_.store(-1);
  // Nothing is readable until Recover places the positions.
  min_offset_.store(first);
  head_.store(first);
  committed_.store(first);
  flushed_.store(first);
  return Status::Ok();
}

Result<int64_t> CommitLog::Recover(RecoveryMode mode, int64_t min_timestamp_ms,
                                   const std::function<void(const ScannedRecord&)>& visit) {
  MQ_ASSERT(slots_used_.load() == 0);  // before any append
  const int64_t seg_size = static_cast<int64_t>(options_.segment_size_bytes);
  const int64_t first = first_segment_.load();
  const int64_t last = last_segment_.load();
  if (last < first) {
    MQ_LOG_INFO("commit log: no segments in {}, starting empty", options_.dir);
    return int64_t{0};
  }
  int64_t start = std::max(first, last - 2);
  if (mode == RecoveryMode::kAbnormal) {
    start = first;
    for (int64_t i = last; i >= first; --i) {
      std::shared_ptr<MappedFile> seg = SegmentAt(i);
      if (seg == nullptr) continue;
      if (model::PeekRecordKind(seg->data(), seg->size_bytes()) != model::RecordKind::kMessage) continue;
      auto view = model::RecordView::Parse(seg->data(), seg->size_bytes(), /*check_crc=*/false);
      if (!view.ok() || view->store_timestamp_ms() == 0) continue;
      if (view->store_timestamp_ms() <= min_timestamp_ms) {
        start = i;
        break;
      }
    }
  }
  int64_t max_ts = 0;
  uint64_t records = 0;
  const ScanResult scan = ScanRaw(start * seg_size, INT64_MAX, options_.check_crc_on_recover,
                                  [&](const ScannedRecord& r) {
                                    max_ts = std::max(max_ts, r.view.store_timestamp_ms());
                                    ++records;
                                    if (visit) visit(r);
                                    return true;
                                  });
  const int64_t end = scan.end_offset;
  MQ_ASSERT(end >= start * seg_size);

  // Truncate: zero the rest of the segment holding the stop point and drop every newer segment.
  const int64_t end_index = SegmentIndex(end);
  if (std::shared_ptr<MappedFile> seg = SegmentAt(end_index)) {
    seg->ZeroFrom(static_cast<uint64_t>(end % seg_size));
    Status s = seg->Sync();
    if (!s.ok()) return s;
  }
  for (int64_t i = last; i > end_index; --i) {
    if (std::shared_ptr<MappedFile> seg = SegmentAt(i)) {
      MQ_LOG_WARN("commit log recovery: dropping segment {} past the recovered end {}", seg->path(), end);
      seg->Destroy();
      segments_[static_cast<size_t>(i) % kMaxSegments].store(nullptr);
    }
  }
  last_segment_.store(std::min(last, SegmentAt(end_index) ? end_index : end_index - 1));
  head_.store(end);
  committed_.store(end);
  flushed_.store(end);
  last_store_ts_ms_.store(max_ts);
  MQ_LOG_INFO("commit log recovered ({}): {} records from segment {}, end offset {}{}",
              mode == RecoveryMode::kNormal ? "normal" : "abnormal", records, FileNameForOffset(start * seg_size), end,
              scan.hit_invalid ? " (torn tail truncated)" : "");
  return end;
}

}  // namespace mq::store
