#include "store/store_config.h"

#include <cstdlib>
#include <sstream>

namespace mq::store {

Result<std::vector<int64_t>> ParseDelayLevels(const std::string& text) {
  std::vector<int64_t> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word.size() < 2) return Status::SystemError("messageDelayLevel: bad level '" + word + "'");
    const char unit = word.back();
    const std::string digits = word.substr(0, word.size() - 1);
    int64_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9' || n > 1000000000) return Status::SystemError("messageDelayLevel: bad level '" + word + "'");
      n = n * 10 + (c - '0');
    }
    int64_t unit_ms = 0;
    switch (unit) {
      case 's': unit_ms = 1000; break;
      case 'm': unit_ms = 60 * 1000; break;
      case 'h': unit_ms = 3600 * 1000; break;
      case 'd': unit_ms = 24 * 3600 * 1000; break;
      default: return Status::SystemError("messageDelayLevel: unknown unit in '" + word + "' (use s, m, h or d)");
    }
    out.push_back(n * unit_ms);
  }
  if (out.empty() || out.size() > 64) return Status::SystemError("messageDelayLevel: 1 to 64 levels expected");
  return out;
}

Result<MessageStoreConfig> MessageStoreConfig::FromProperties(const Properties& props) {
  MessageStoreConfig c;
  const char* home = std::getenv("HOME");
  c.root_dir = props.GetString("storePathRootDir", std::string(home && *home ? home : "/tmp") + "/store");
  c.commit_log_dir = props.GetString("storePathCommitLog", c.root_dir + "/commitlog");
  std::string first_error;
  auto int_key = [&](const char* key, auto& field, int64_t min_value) {
    auto v = props.GetInt(key, static_cast<int64_t>(field));
    if (!v.ok()) {
      if (first_error.empty()) first_error = v.status().remark();
      return;
    }
    if (*v < min_value) {
      if (first_error.empty()) first_error = std::string(key) + " must be >= " + std::to_string(min_value);
      return;
    }
    field = static_cast<std::remove_reference_t<decltype(field)>>(*v);
  };
  auto bool_key = [&](const char* key, bool& field) {
    auto v = props.GetBool(key, field);
    if (!v.ok()) {
      if (first_error.empty()) first_error = v.status().remark();
      return;
    }
    field = *v;
  };
  int64_t cq_file_bytes = c.cq_units_per_file * 20;
  int_key("mappedFileSizeCommitLog", c.commit_log_segment_bytes, 4096);
  int_key("mappedFileSizeConsumeQueue", cq_file_bytes, 20);
  c.cq_units_per_file = cq_file_bytes / 20;
  int_key("flushIntervalCommitLog", c.flush_interval_ms, 1);
  int_key("flushCommitLogLeastPages", c.flush_least_pages, 0);
  int_key("flushCommitLogThoroughInterval", c.flush_thorough_interval_ms, 1);
  int_key("syncFlushTimeout", c.sync_flush_timeout_ms, 1);
  int_key("flushIntervalConsumeQueue", c.flush_cq_interval_ms, 1);
  int_key("flushConsumeQueueLeastPages", c.flush_cq_least_pages, 0);
  int_key("flushConsumeQueueThoroughInterval", c.flush_cq_thorough_interval_ms, 1);
  int_key("maxMessageSize", c.max_message_bytes, 1);
  int_key("maxHashSlotNum", c.max_hash_slots, 1);
  int_key("maxIndexNum", c.max_index_count, 1);
  int_key("fileReservedTime", c.file_reserved_time_hours, 0);
  int_key("diskMaxUsedSpaceRatio", c.disk_max_used_space_ratio, 10);
  int_key("cleanResourceInterval", c.clean_resource_interval_ms, 1);
  int_key("maxTransferCountOnMessageInMemory", c.max_transfer_count, 1);
  int_key("maxTransferBytesOnMessageInMemory", c.max_transfer_bytes, 1);
  bool_key("checkCRCOnRecover", c.check_crc_on_recover);
  bool_key("messageIndexEnable", c.message_index_enable);
  bool_key("messageIndexSafe", c.message_index_safe);
  bool_key("cleanFileForciblyEnable", c.clean_file_forcibly_enable);
  if (!first_error.empty()) return Status::SystemError(first_error);
  c.delete_when = props.GetString("deleteWhen", c.delete_when);
  const std::string flush = props.GetString("flushDiskType", "ASYNC_FLUSH");
  if (flush == "SYNC_FLUSH") {
    c.flush_mode = FlushMode::kSync;
  } else if (flush != "ASYNC_FLUSH") {
    return Status::SystemError("flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH, not '" + flush + "'");
  }
  if (c.disk_max_used_space_ratio > 95) c.disk_max_used_space_ratio = 95;  // RocketMQ clamps to [10, 95]
  auto levels = ParseDelayLevels(props.GetString("messageDelayLevel", kDefaultDelayLevels));
  if (!levels.ok()) return levels.status();
  c.delay_level_ms = std::move(levels).value();
  return c;
}

}  // namespace mq::store
