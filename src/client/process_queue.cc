#include "client/process_queue.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

namespace mq::client {

void ProcessQueue::Put(std::vector<MessageExt> msgs) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : msgs) {
    const int64_t off = m.queue_offset;
    if (off > max_seen_) max_seen_ = off;
    msgs_.emplace(off, std::move(m));
  }
}

size_t ProcessQueue::Count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return msgs_.size() + consuming_.size();
}

void ProcessQueue::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  msgs_.clear();
  consuming_.clear();
  max_seen_ = -1;
}

int64_t ProcessQueue::Remove(const std::vector<MessageExt>& msgs) {
  std::lock_guard<std::mutex> lock(mu_);
  bool removed = false;
  int64_t highest = -1;
  for (const auto& m : msgs) {
    if (msgs_.erase(m.queue_offset) > 0) removed = true;
    if (m.queue_offset > highest) highest = m.queue_offset;
  }
  if (!removed && msgs.empty()) return -1;
  if (!msgs_.empty()) return msgs_.begin()->first;
  return std::max(highest, max_seen_) + 1;
}

std::vector<MessageExt> ProcessQueue::TakeHead(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<MessageExt> out;
  while (!msgs_.empty() && out.size() < n) {
    out.push_back(std::move(msgs_.begin()->second));
    msgs_.erase(msgs_.begin());
  }
  return out;
}

std::vector<MessageExt> ProcessQueue::TakeOrderly(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<MessageExt> out;
  while (!msgs_.empty() && out.size() < n) {
    auto node = msgs_.extract(msgs_.begin());
    out.push_back(node.mapped());
    consuming_.insert(std::move(node));
  }
  return out;
}

int64_t ProcessQueue::CommitOrderly() {
  std::lock_guard<std::mutex> lock(mu_);
  if (consuming_.empty()) return -1;
  const int64_t next = consuming_.rbegin()->first + 1;
  consuming_.clear();
  return next;
}

void ProcessQueue::RollbackOrderly(const std::vector<MessageExt>& updated) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& m : updated) {
    auto it = consuming_.find(m.queue_offset);
    if (it != consuming_.end()) it->second = m;
  }
  msgs_.merge(consuming_);
  consuming_.clear();
}

}  // namespace mq::client

namespace mq::client {

bool ProcessQueue::WaitIdle(uint64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (consuming.load() == 0 && consume_mu.try_lock()) {
      consume_mu.unlock();
      if (consuming.load() == 0) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

ProcessQueue::CacheStats ProcessQueue::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  CacheStats s;
  s.count = msgs_.size() + consuming_.size();
  int64_t lo = INT64_MAX;
  int64_t hi = -1;
  for (const auto* m : {&msgs_, &consuming_}) {
    if (m->empty()) continue;
    lo = std::min(lo, m->begin()->first);
    hi = std::max(hi, m->rbegin()->first);
  }
  if (s.count > 0) {
    s.min_offset = lo;
    s.max_offset = hi;
  }
  return s;
}

}  // namespace mq::client
