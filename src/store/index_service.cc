#include "store/index_service.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "base/log.h"

namespace mq::store {
namespace {

constexpr size_t kIndexNameDigits = 17;  // yyyyMMddHHmmssSSS

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string IndexFileName(int64_t epoch_ms) {
  const time_t secs = static_cast<time_t>(epoch_ms / 1000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(epoch_ms % 1000));
  MQ_ASSERT(n == static_cast<int>(kIndexNameDigits));
  return std::string(buf, kIndexNameDigits);
}

Result<int64_t> IndexFileNameToMs(const std::string& name) {
  if (name.size() != kIndexNameDigits ||
      !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::SystemError("not an index file name: " + name);
  }
  auto num = [&](size_t pos, size_t len) { return std::stoi(name.substr(pos, len)); };  // digits only: no throw
  struct tm tm {};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  tm.tm_isdst = -1;
  const time_t secs = mktime(&tm);
  if (secs == static_cast<time_t>(-1)) return Status::SystemError("bad index file time: " + name);
  return static_cast<int64_t>(secs) * 1000 + num(14, 3);
}

IndexService::IndexService(std::string root_dir, int32_t max_hash_slots, int32_t max_index_count)
    : dir_(root_dir + "/index"), max_hash_slots_(max_hash_slots), max_index_count_(max_index_count), clock_(WallClockMs) {
  MQ_ASSERT(max_hash_slots_ > 0 && max_index_count_ > 1);
}

Status IndexService::Load(bool last_exit_ok, int64_t checkpoint_index_timestamp_ms) {
  MQ_ASSERT(files_.empty());
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) return Status::Ok();
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!IndexFileNameToMs(name).ok()) {
      MQ_LOG_WARN("index: ignoring stray file {}", entry.path().string());
      continue;
    }
    names.push_back(name);
  }
  if (ec) return Status::SystemError("index: " + dir_ + ": " + ec.message());
  std::sort(names.begin(), names.end());  // fixed-width time stamps: name order is creation order
  for (const std::string& name : names) {
    auto file = IndexFile::Open(dir_ + "/" + name, max_hash_slots_, max_index_count_);
    if (!file.ok()) return file.status();
    if (!last_exit_ok && (*file)->header().end_timestamp_ms > checkpoint_index_timestamp_ms) {
      // Written after the last completed flush: possibly torn; recovery re-dispatches its records.
      MQ_LOG_INFO("index: deleting {} (end {} > checkpoint {})", name, (*file)->header().end_timestamp_ms,
                  checkpoint_index_timestamp_ms);
      (*file)->Destroy();
      continue;
    }
    files_.push_back(std::shared_ptr<IndexFile>(std::move(*file)));
  }
  return Status::Ok();
}

Status IndexService::BuildIndex(std::string_view topic, std::string_view keys, std::string_view uniq_key,
                                int64_t phys_offset, int64_t store_timestamp_ms) {
  if (!files_.empty()) {
    const IndexHeader& h = files_.back()->header();
    // Re-dispatch after recovery replays records the index already holds.
    if (phys_offset < h.end_phys_offset) return Status::Ok();
  }
  if (!uniq_key.empty()) {
    Status s = PutKey(topic, uniq_key, phys_offset, store_timestamp_ms);
    if (!s.ok()) return s;
  }
  while (!keys.empty()) {
    const size_t space = keys.find(' ');
    const std::string_view word = keys.substr(0, space);
    if (!word.empty()) {
      Status s = PutKey(topic, word, phys_offset, store_timestamp_ms);
      if (!s.ok()) return s;
    }
    if (space == std::string_view::npos) break;
    keys.remove_prefix(space + 1);
  }
  return Status::Ok();
}

Status IndexService::PutKey(std::string_view topic, std::string_view key, int64_t phys_offset,
                            int64_t store_timestamp_ms) {
  key_buf_.assign(topic);
  key_buf_.push_back('#');
  key_buf_.append(key);
  auto file = WritableFile();
  if (!file.ok()) return file.status();
  const bool put = (*file)->Put(key_buf_, phys_offset, store_timestamp_ms);
  MQ_ASSERT(put);  // WritableFile never returns a full file
  return Status::Ok();
}

Result<IndexFile*> IndexService::WritableFile() {
  if (!files_.empty() && !files_.back()->full()) return files_.back().get();
  int64_t prev_end_phys = 0;
  int64_t prev_end_ms = 0;
  int64_t now_ms = clock_();
  if (!files_.empty()) {
    const IndexHeader& h = files_.back()->header();
    prev_end_phys = h.end_phys_offset;
    prev_end_ms = h.end_timestamp_ms;
    completed_.push_back(files_.back());
    // Two files created in one millisecond (or a clock step back) must still sort after the last.
    auto last_ms = IndexFileNameToMs(files_.back()->name());
    if (last_ms.ok()) now_ms = std::max(now_ms, *last_ms + 1);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::SystemError("index: " + dir_ + ": " + ec.message());
  auto file = IndexFile::Create(dir_, IndexFileName(now_ms), max_hash_slots_, max_index_count_, prev_end_phys,
                                prev_end_ms);
  if (!file.ok()) {
    if (!completed_.empty() && completed_.back() == files_.back()) completed_.pop_back();
    return file.status();
  }
  MQ_LOG_INFO("index: new file {}", (*file)->path());
  files_.push_back(std::shared_ptr<IndexFile>(std::move(*file)));
  return files_.back().get();
}

IndexQueryResult IndexService::QueryOffsets(std::string_view topic, std::string_view key, size_t max_num,
                                            int64_t begin_ms, int64_t end_ms) const {
  IndexQueryResult result;
  max_num = std::min(max_num, kMaxMsgsNumBatch);
  if (files_.empty() || max_num == 0) return result;
  result.index_last_update_timestamp_ms = files_.back()->header().end_timestamp_ms;
  result.index_last_update_phys_offset = files_.back()->header().end_phys_offset;
  std::string index_key;
  index_key.reserve(topic.size() + 1 + key.size());
  index_key.append(topic).append("#").append(key);
  for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
    const IndexFile& file = **it;
    if (file.TimeOverlaps(begin_ms, end_ms)) file.Select(index_key, max_num, begin_ms, end_ms, result.phys_offsets);
    // Older files end before this one begins: nothing older can be in range.
    if (file.header().begin_timestamp_ms < begin_ms || result.phys_offsets.size() >= max_num) break;
  }
  return result;
}

size_t IndexService::DeleteExpired(int64_t commit_log_min_offset) {
  size_t deleted = 0;
  while (files_.size() > 1 && files_.front()->header().end_phys_offset < commit_log_min_offset) {
    MQ_LOG_INFO("index: deleting expired {}", files_.front()->path());
    files_.front()->Destroy();
    std::erase(completed_, files_.front());
    files_.erase(files_.begin());
    ++deleted;
  }
  return deleted;
}

Result<int64_t> IndexService::FlushCompleted() {
  int64_t timestamp_ms = 0;
  while (!completed_.empty()) {
    Status s = completed_.front()->Sync();
    if (!s.ok()) return s;
    timestamp_ms = std::max(timestamp_ms, completed_.front()->header().end_timestamp_ms);
    completed_.erase(completed_.begin());
  }
  return timestamp_ms;
}

Status IndexService::Flush() {
  for (const auto& file : files_) {
    Status s = file->Sync();
    if (!s.ok()) return s;
  }
  completed_.clear();
  return Status::Ok();
}

void IndexService::Destroy() {
  for (const auto& file : files_) file->Destroy();
  files_.clear();
  completed_.clear();
}

}  // namespace mq::store
