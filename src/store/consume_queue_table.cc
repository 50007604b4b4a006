#include "store/consume_queue_table.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "base/log.h"

namespace mq::store {
namespace {

// A queue directory name: a decimal queue id (RocketMQ allows at most a few thousand per topic).
bool ParseQueueId(const std::string& name, int32_t& out) {
  if (name.empty() || name.size() > 9) return false;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), out);
  return ec == std::errc() && ptr == name.data() + name.size() && out >= 0;
}

}  // namespace

ConsumeQueueTable::ConsumeQueueTable(std::string root_dir, int64_t units_per_file)
    : root_dir_(std::move(root_dir)), units_per_file_(units_per_file) {}

Status ConsumeQueueTable::Load(const Owns& owns) {
  const std::string base = root_dir_ + "/consumequeue";
  std::error_code ec;
  if (!std::filesystem::is_directory(base, ec)) return Status::Ok();
  for (const auto& topic_dir : std::filesystem::directory_iterator(base, ec)) {
    std::error_code ec2;
    if (!topic_dir.is_directory(ec2)) continue;
    const std::string topic = topic_dir.path().filename().string();
    for (const auto& queue_dir : std::filesystem::directory_iterator(topic_dir.path(), ec2)) {
      int32_t queue_id = 0;
      std::error_code ec3;
      if (!queue_dir.is_directory(ec3) || !ParseQueueId(queue_dir.path().filename().string(), queue_id)) {
        MQ_LOG_WARN("consume queues: ignoring {}", queue_dir.path().string());
        continue;
      }
      if (owns && !owns(topic, queue_id)) continue;  // another shard's table loads it
      ConsumeQueue& queue = FindOrCreate(topic, queue_id);
      Status s = queue.Load();
      if (!s.ok()) return s;
    }
    if (ec2) return Status::SystemError("consume queues: " + topic_dir.path().string() + ": " + ec2.message());
  }
  if (ec) return Status::SystemError("consume queues: " + base + ": " + ec.message());
  return Status::Ok();
}

int64_t ConsumeQueueTable::Recover() {
  int64_t max_phys_end = 0;
  ForEach([&](ConsumeQueue& q) {
    q.Recover();
    max_phys_end = std::max(max_phys_end, q.max_phys_end());
  });
  return max_phys_end;
}

ConsumeQueue* ConsumeQueueTable::Find(std::string_view topic, int32_t queue_id) {
  auto t = topics_.find(topic);
  if (t == topics_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : q->second.get();
}

ConsumeQueue& ConsumeQueueTable::FindOrCreate(std::string_view topic, int32_t queue_id) {
  auto t = topics_.find(topic);
  if (t == topics_.end()) t = topics_.emplace(std::string(topic), std::map<int32_t, std::unique_ptr<ConsumeQueue>>{}).first;
  auto& slot = t->second[queue_id];
  if (!slot) slot = std::make_unique<ConsumeQueue>(root_dir_, std::string(topic), queue_id, units_per_file_);
  return *slot;
}

void ConsumeQueueTable::TruncateDirty(int64_t phys_offset_limit) {
  ForEach([&](ConsumeQueue& q) { q.TruncateDirty(phys_offset_limit); });
}

void ConsumeQueueTable::CorrectMinOffset(int64_t commit_log_min_offset) {
  ForEach([&](ConsumeQueue& q) { q.CorrectMinOffset(commit_log_min_offset); });
}

size_t ConsumeQueueTable::DeleteExpiredFiles(int64_t commit_log_min_offset) {
  size_t deleted = 0;
  ForEach([&](ConsumeQueue& q) { deleted += q.DeleteExpiredFiles(commit_log_min_offset); });
  return deleted;
}

Status ConsumeQueueTable::Flush(int min_dirty_pages) {
  Status first;
  ForEach([&](ConsumeQueue& q) {
    Status s = q.Flush(min_dirty_pages);
    if (!s.ok() && first.ok()) first = s;
  });
  return first;
}

void ConsumeQueueTable::DestroyTopic(std::string_view topic) {
  auto t = topics_.find(topic);
  if (t == topics_.end()) return;
  for (auto& [id, queue] : t->second) queue->Destroy();
  std::error_code ec;
  std::filesystem::remove_all(root_dir_ + "/consumequeue/" + t->first, ec);
  topics_.erase(t);
}

void ConsumeQueueTable::ForEach(const std::function<void(ConsumeQueue&)>& fn) {
  for (auto& [topic, queues] : topics_) {
    for (auto& [id, queue] : queues) fn(*queue);
  }
}

size_t ConsumeQueueTable::queue_count() const {
  size_t n = 0;
  for (const auto& [topic, queues] : topics_) n += queues.size();
  return n;
}

}  // namespace mq::store
