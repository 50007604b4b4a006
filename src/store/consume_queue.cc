#include "store/consume_queue.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "base/bytes.h"
#include "base/log.h"

namespace mq::store {
namespace {

constexpr uint64_t kPageBytes = 4096;
// The unit layout of spec 6.3, checked against the constant the rest of the store uses.
constexpr uint64_t kUnitPhysPos = 0;
constexpr uint64_t kUnitSizePos = 8;
constexpr uint64_t kUnitTagsPos = 12;
static_assert(kUnitTagsPos + 8 == kCqUnitBytes, "consume-queue unit is 8 + 4 + 8 bytes");
static_assert(kUnitSizePos == kUnitPhysPos + 8 && kUnitTagsPos == kUnitSizePos + 4);

}  // namespace

void EncodeCqUnit(const CqUnit& unit, uint8_t* p) {
  StoreBe64(p + kUnitPhysPos, static_cast<uint64_t>(unit.phys_offset));
  StoreBe32(p + kUnitSizePos, static_cast<uint32_t>(unit.size_bytes));
  StoreBe64(p + kUnitTagsPos, static_cast<uint64_t>(unit.tags_code));
}

CqUnit DecodeCqUnit(const uint8_t* p) {
  CqUnit unit;
  unit.phys_offset = static_cast<int64_t>(LoadBe64(p + kUnitPhysPos));
  unit.size_bytes = static_cast<int32_t>(LoadBe32(p + kUnitSizePos));
  unit.tags_code = static_cast<int64_t>(LoadBe64(p + kUnitTagsPos));
  return unit;
}

ConsumeQueue::ConsumeQueue(std::string root_dir, std::string topic, int32_t queue_id, int64_t units_per_file)
    : topic_(std::move(topic)),
      queue_id_(queue_id),
      dir_(root_dir + "/consumequeue/" + topic_ + "/" + std::to_string(queue_id)),
      units_per_file_(units_per_file) {
  MQ_ASSERT(units_per_file_ > 0);
  MQ_ASSERT(queue_id_ >= 0);
}

Status ConsumeQueue::Load() {
  MQ_ASSERT(files_.empty());
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) return Status::Ok();
  std::vector<int64_t> starts;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    auto start = OffsetFromFileName(name);
    if (!start.ok()) {
      MQ_LOG_WARN("consume queue {}: ignoring stray file {}", dir_, name);
      continue;
    }
    starts.push_back(*start);
  }
  if (ec) return Status::SystemError("consume queue " + dir_ + ": " + ec.message());
  std::sort(starts.begin(), starts.end());
  for (int64_t start : starts) {
    // A file not on a unit-file boundary, or a gap, means the directory is not one queue's stream.
    if (start % static_cast<int64_t>(file_bytes()) != 0 ||
        (!files_.empty() && start != files_.back()->start_offset() + static_cast<int64_t>(file_bytes()))) {
      return Status::SystemError("consume queue " + dir_ + ": file " + FileNameForOffset(start) +
                                 " breaks the file sequence");
    }
    auto file = MappedFile::Open(dir_, start, file_bytes(), /*create=*/false);
    if (!file.ok()) return file.status();
    files_.push_back(std::move(*file));
  }
  write_pos_bytes_ = files_.empty() ? 0 : static_cast<uint64_t>(files_.back()->start_offset()) + file_bytes();
  flushed_pos_bytes_ = write_pos_bytes_;
  min_offset_ = FirstRealOffset();
  RefreshMaxPhysEnd();
  return Status::Ok();
}

void ConsumeQueue::Recover() {
  if (files_.empty()) return;
  const size_t first = files_.size() > 3 ? files_.size() - 3 : 0;
  uint64_t pos = static_cast<uint64_t>(files_[first]->start_offset());
  const uint64_t end = static_cast<uint64_t>(files_.back()->start_offset()) + file_bytes();
  while (pos < end && UnitAtPos(pos).valid()) pos += kCqUnitBytes;
  if (first == 0 && pos == static_cast<uint64_t>(files_.front()->start_offset())) {
    // Not one valid unit: the files were created (ahead of their units, unsynced) and never written
    // before a crash. Keeping them would pin the queue's start at a file boundary no unit agrees with.
    MQ_LOG_INFO("consume queue {}: no valid unit, dropping its {} file(s)", dir_, files_.size());
    for (auto& file : files_) file->Destroy();
    files_.clear();
    write_pos_bytes_ = flushed_pos_bytes_ = 0;
    min_offset_ = max_phys_end_ = 0;
    return;
  }
  TruncateTo(pos);
  flushed_pos_bytes_ = write_pos_bytes_;
  min_offset_ = std::min(FirstRealOffset(), max_offset());
  RefreshMaxPhysEnd();
}

Status ConsumeQueue::Append(int64_t queue_offset, int64_t phys_offset, int32_t size_bytes, int64_t tags_code) {
  MQ_ASSERT(phys_offset >= 0 && size_bytes > 0 && queue_offset >= 0);
  if (phys_offset + size_bytes <= max_phys_end_) return Status::Ok();  // already dispatched
  if (files_.empty()) {
    // First file of a (re)created queue: it starts at the file boundary below queue_offset and the
    // units before queue_offset are padding, so the queue's stream stays file-aligned.
    const uint64_t pos = static_cast<uint64_t>(queue_offset) * kCqUnitBytes;
    const uint64_t file_start = pos - pos % file_bytes();
    auto file = FileForWrite(file_start);
    if (!file.ok()) return file.status();
    flushed_pos_bytes_ = file_start;
    const CqUnit pad{0, kCqPaddingSize, 0};
    for (uint64_t p = file_start; p < pos; p += kCqUnitBytes) EncodeCqUnit(pad, (*file)->data() + (p - file_start));
    write_pos_bytes_ = pos;
    min_offset_ = queue_offset;
  }
  MQ_ASSERT_MSG(queue_offset == max_offset(), "consume queue offset out of order");
  auto file = FileForWrite(write_pos_bytes_);
  if (!file.ok()) return file.status();
  const uint64_t in_file = write_pos_bytes_ - static_cast<uint64_t>((*file)->start_offset());
  MQ_ASSERT(in_file + kCqUnitBytes <= (*file)->size_bytes());
  const CqUnit unit{phys_offset, size_bytes, tags_code};
  EncodeCqUnit(unit, (*file)->data() + in_file);
  MQ_ASSERT(DecodeCqUnit((*file)->data() + in_file).phys_offset == phys_offset);
  write_pos_bytes_ += kCqUnitBytes;
  max_phys_end_ = unit.phys_end();
  return Status::Ok();
}

size_t ConsumeQueue::Read(int64_t queue_offset, size_t max_units, std::vector<CqUnit>& out) const {
  if (queue_offset < min_offset_ || queue_offset >= max_offset()) return 0;
  const int64_t last = std::min(max_offset(), queue_offset + static_cast<int64_t>(std::min<size_t>(max_units, 1u << 20)));
  size_t n = 0;
  uint64_t pos = static_cast<uint64_t>(queue_offset) * kCqUnitBytes;
  const uint64_t end = static_cast<uint64_t>(last) * kCqUnitBytes;
  while (pos < end) {
    const MappedFile* file = FileAt(pos);
    MQ_ASSERT(file != nullptr);
    const uint64_t file_start = static_cast<uint64_t>(file->start_offset());
    const uint64_t chunk_end = std::min(end, file_start + file_bytes());
    for (; pos < chunk_end; pos += kCqUnitBytes, ++n) out.push_back(DecodeCqUnit(file->data() + (pos - file_start)));
  }
  return n;
}

std::optional<CqUnit> ConsumeQueue::At(int64_t queue_offset) const {
  if (queue_offset < min_offset_ || queue_offset >= max_offset()) return std::nullopt;
  return UnitAtPos(static_cast<uint64_t>(queue_offset) * kCqUnitBytes);
}

void ConsumeQueue::CorrectMinOffset(int64_t commit_log_min_offset) {
  // Physical offsets grow with the queue offset (padding only precedes min_offset_), so the first
  // unit still inside the commit log is a lower bound search.
  int64_t lo = min_offset_;
  int64_t hi = max_offset();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (UnitAtPos(static_cast<uint64_t>(mid) * kCqUnitBytes).phys_offset < commit_log_min_offset) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  min_offset_ = std::max(min_offset_, lo);
}

void ConsumeQueue::TruncateDirty(int64_t phys_offset_limit) {
  int64_t lo = FirstRealOffset();
  int64_t hi = max_offset();
  while (lo < hi) {  // first unit that points at or ends past the limit
    const int64_t mid = lo + (hi - lo) / 2;
    const CqUnit unit = UnitAtPos(static_cast<uint64_t>(mid) * kCqUnitBytes);
    if (unit.phys_offset < phys_offset_limit && unit.phys_end() <= phys_offset_limit) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo >= max_offset()) return;
  MQ_LOG_INFO("consume queue {}: truncating dirty units from offset {} (commit log end {})", dir_, lo,
              phys_offset_limit);
  TruncateTo(static_cast<uint64_t>(lo) * kCqUnitBytes);
  min_offset_ = std::min(min_offset_, max_offset());
  RefreshMaxPhysEnd();
}

Status ConsumeQueue::Flush(int min_dirty_pages) {
  if (write_pos_bytes_ <= flushed_pos_bytes_) return Status::Ok();
  if (min_dirty_pages > 0 &&
      write_pos_bytes_ / kPageBytes - flushed_pos_bytes_ / kPageBytes < static_cast<uint64_t>(min_dirty_pages)) {
    return Status::Ok();
  }
  for (const auto& file : files_) {
    const uint64_t start = static_cast<uint64_t>(file->start_offset());
    if (start + file_bytes() <= flushed_pos_bytes_ || start >= write_pos_bytes_) continue;
    Status s = file->Sync();
    if (!s.ok()) return s;
  }
  flushed_pos_bytes_ = write_pos_bytes_;
  return Status::Ok();
}

std::optional<uint64_t> ConsumeQueue::CollectFlush(int min_dirty_pages,
                                                  std::vector<std::shared_ptr<MappedFile>>& out) const {
  if (write_pos_bytes_ <= flushed_pos_bytes_) return std::nullopt;
  if (min_dirty_pages > 0 &&
      write_pos_bytes_ / kPageBytes - flushed_pos_bytes_ / kPageBytes < static_cast<uint64_t>(min_dirty_pages)) {
    return std::nullopt;
  }
  for (const auto& file : files_) {
    const uint64_t start = static_cast<uint64_t>(file->start_offset());
    if (start + file_bytes() <= flushed_pos_bytes_ || start >= write_pos_bytes_) continue;
    out.push_back(file);
  }
  return write_pos_bytes_;
}

void ConsumeQueue::MarkFlushed(uint64_t pos_bytes) {
  // A truncation since the collection may have moved the write position below pos.
  flushed_pos_bytes_ = std::max(flushed_pos_bytes_, std::min(pos_bytes, write_pos_bytes_));
}

std::optional<int64_t> ConsumeQueue::FileStartNeededFor(int64_t queue_offset, bool ahead) const {
  uint64_t start = 0;
  if (files_.empty()) {
    const uint64_t pos = static_cast<uint64_t>(queue_offset) * kCqUnitBytes;
    start = pos - pos % file_bytes();
  } else {
    const uint64_t next_start = static_cast<uint64_t>(files_.back()->start_offset()) + file_bytes();
    const bool full = write_pos_bytes_ >= next_start;
    const bool past_middle = write_pos_bytes_ >= next_start - file_bytes() / 2;
    if (!full && !(ahead && past_middle)) return std::nullopt;
    start = next_start;
  }
  if (prepared_ != nullptr && static_cast<uint64_t>(prepared_->start_offset()) == start) return std::nullopt;
  return static_cast<int64_t>(start);
}

std::shared_ptr<MappedFile> ConsumeQueue::SetPreparedFile(std::shared_ptr<MappedFile> file) {
  MQ_ASSERT(file != nullptr && file->size_bytes() == file_bytes());
  const uint64_t start = static_cast<uint64_t>(file->start_offset());
  // Only where the sequence can continue: the first file, or right after the newest.
  if (!files_.empty() && start != static_cast<uint64_t>(files_.back()->start_offset()) + file_bytes()) return file;
  // The same path mapped twice: keep ours; destroying the other would unlink the file we hold.
  if (prepared_ != nullptr && static_cast<uint64_t>(prepared_->start_offset()) == start) return nullptr;
  // The newest request reflects what the queue needs now (a first file asked for ahead of a unit
  // that turned out to belong to the file before it), so it replaces an older prepared file.
  std::swap(prepared_, file);
  return file;
}

Result<std::shared_ptr<MappedFile>> ConsumeQueue::CreateFile(const std::string& dir, int64_t start_bytes,
                                                             uint64_t file_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::SystemError("consume queue " + dir + ": " + ec.message());
  return MappedFile::Open(dir, start_bytes, file_bytes, /*create=*/true);
}

size_t ConsumeQueue::DeleteExpiredFiles(int64_t commit_log_min_offset) {
  size_t deleted = 0;
  while (files_.size() > 1) {
    const MappedFile& oldest = *files_.front();
    const CqUnit last = DecodeCqUnit(oldest.data() + (file_bytes() - kCqUnitBytes));
    // A file's last unit is its newest; below the commit log's min, every unit in it is gone.
    if (!last.valid() || last.padding() || last.phys_offset >= commit_log_min_offset) break;
    MQ_LOG_INFO("consume queue {}: deleting expired file {}", dir_, oldest.path());
    files_.front()->Destroy();
    files_.erase(files_.begin());
    ++deleted;
  }
  if (!files_.empty()) {
    min_offset_ = std::max(min_offset_, files_.front()->start_offset() / static_cast<int64_t>(kCqUnitBytes));
  }
  CorrectMinOffset(commit_log_min_offset);
  return deleted;
}

void ConsumeQueue::Destroy() {
  for (auto& file : files_) file->Destroy();
  files_.clear();
  if (prepared_ != nullptr) prepared_->Destroy();
  prepared_.reset();
  write_pos_bytes_ = 0;
  flushed_pos_bytes_ = 0;
  min_offset_ = 0;
  max_phys_end_ = 0;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) MQ_LOG_WARN("consume queue {}: cannot remove directory: {}", dir_, ec.message());
}

const MappedFile* ConsumeQueue::FileAt(uint64_t pos_bytes) const {
  if (files_.empty()) return nullptr;
  const uint64_t first = static_cast<uint64_t>(files_.front()->start_offset());
  if (pos_bytes < first) return nullptr;
  const uint64_t index = (pos_bytes - first) / file_bytes();
  if (index >= files_.size()) return nullptr;
  return files_[index].get();
}

CqUnit ConsumeQueue::UnitAtPos(uint64_t pos_bytes) const {
  MQ_ASSERT(pos_bytes % kCqUnitBytes == 0);
  const MappedFile* file = FileAt(pos_bytes);
  MQ_ASSERT(file != nullptr);
  const uint64_t in_file = pos_bytes - static_cast<uint64_t>(file->start_offset());
  MQ_ASSERT(in_file + kCqUnitBytes <= file->size_bytes());
  return DecodeCqUnit(file->data() + in_file);
}

void ConsumeQueue::TruncateTo(uint64_t pos_bytes) {
  // Newer files go entirely; the file holding pos keeps its head and is zeroed after it, so a later
  // recovery never scans stale units past the new end.
  while (!files_.empty() && static_cast<uint64_t>(files_.back()->start_offset()) > pos_bytes) {
    MQ_LOG_INFO("consume queue {}: deleting dirty file {}", dir_, files_.back()->path());
    files_.back()->Destroy();
    files_.pop_back();
  }
  if (!files_.empty()) {
    const uint64_t start = static_cast<uint64_t>(files_.back()->start_offset());
    if (pos_bytes < start + file_bytes()) files_.back()->ZeroFrom(pos_bytes - start);
  }
  write_pos_bytes_ = files_.empty() ? 0 : pos_bytes;
  flushed_pos_bytes_ = std::min(flushed_pos_bytes_, write_pos_bytes_);
  // A prepared file no longer right after the newest would leave a gap in the sequence on disk.
  if (prepared_ != nullptr && !files_.empty() &&
      static_cast<uint64_t>(prepared_->start_offset()) != static_cast<uint64_t>(files_.back()->start_offset()) + file_bytes()) {
    prepared_->Destroy();
    prepared_.reset();
  }
}

void ConsumeQueue::RefreshMaxPhysEnd() {
  max_phys_end_ = 0;
  // Independent of min_offset_: expired units still define where re-dispatch must resume.
  if (files_.empty() || write_pos_bytes_ <= static_cast<uint64_t>(files_.front()->start_offset())) return;
  const CqUnit last = UnitAtPos(write_pos_bytes_ - kCqUnitBytes);
  if (last.valid() && !last.padding()) max_phys_end_ = last.phys_end();
}

int64_t ConsumeQueue::FirstRealOffset() const {
  if (files_.empty()) return 0;
  uint64_t pos = static_cast<uint64_t>(files_.front()->start_offset());
  const uint64_t end = std::min(write_pos_bytes_, pos + file_bytes());
  while (pos < end && UnitAtPos(pos).padding()) pos += kCqUnitBytes;
  return static_cast<int64_t>(pos / kCqUnitBytes);
}

Result<MappedFile*> ConsumeQueue::FileForWrite(uint64_t pos_bytes) {
  if (!files_.empty()) {
    const uint64_t last_start = static_cast<uint64_t>(files_.back()->start_offset());
    if (pos_bytes < last_start + file_bytes()) {
      MQ_ASSERT(pos_bytes >= last_start);
      return files_.back().get();
    }
    MQ_ASSERT(pos_bytes == last_start + file_bytes());
  }
  MQ_ASSERT(pos_bytes % file_bytes() == 0);
  if (prepared_ != nullptr) {
    std::shared_ptr<MappedFile> prepared = std::move(prepared_);
    prepared_.reset();
    if (static_cast<uint64_t>(prepared->start_offset()) == pos_bytes) {
      files_.push_back(std::move(prepared));
      return files_.back().get();
    }
    prepared->Destroy();  // made for another start: never leave it on disk beside the new file
  }
  auto file = CreateFile(dir_, static_cast<int64_t>(pos_bytes), file_bytes());  // inline: blocks
  if (!file.ok()) return file.status();
  files_.push_back(std::move(*file));
  return files_.back().get();
}

}  // namespace mq::store
