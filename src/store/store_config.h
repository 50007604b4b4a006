// The store's settings: RocketMQ's MessageStoreConfig keys (spec 6.10) read from broker.conf
// properties, with RocketMQ's defaults. Sizes and intervals carry their units in their names.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/properties.h"
#include "base/status.h"
#include "store/flush_service.h"

namespace mq::store {

struct MessageStoreConfig {
  std::string root_dir;                              // storePathRootDir (default $HOME/store)
  std::string commit_log_dir;                        // storePathCommitLog (default <root>/commitlog)
  uint64_t commit_log_segment_bytes = 1073741824;    // mappedFileSizeCommitLog
  int64_t cq_units_per_file = 300000;                // mappedFileSizeConsumeQueue / 20
  FlushMode flush_mode = FlushMode::kAsync;          // flushDiskType
  int64_t flush_interval_ms = 500;                   // flushIntervalCommitLog
  int flush_least_pages = 4;                         // flushCommitLogLeastPages
  int64_t flush_thorough_interval_ms = 10000;        // flushCommitLogThoroughInterval
  int64_t sync_flush_timeout_ms = 5000;              // syncFlushTimeout
  int64_t flush_cq_interval_ms = 1000;               // flushIntervalConsumeQueue
  int flush_cq_least_pages = 2;                      // flushConsumeQueueLeastPages
  int64_t flush_cq_thorough_interval_ms = 60000;     // flushConsumeQueueThoroughInterval
  uint32_t max_message_bytes = 4194304;              // maxMessageSize
  bool check_crc_on_recover = true;                  // checkCRCOnRecover
  bool message_index_enable = true;                  // messageIndexEnable
  bool message_index_safe = false;                   // messageIndexSafe
  int32_t max_hash_slots = 5000000;                  // maxHashSlotNum
  int32_t max_index_count = 20000000;                // maxIndexNum
  int64_t file_reserved_time_hours = 72;             // fileReservedTime
  std::string delete_when = "04";                    // deleteWhen: hours separated by ';'
  int disk_max_used_space_ratio = 75;                // diskMaxUsedSpaceRatio (%)
  bool clean_file_forcibly_enable = true;            // cleanFileForciblyEnable
  int64_t clean_resource_interval_ms = 10000;        // cleanResourceInterval
  uint32_t max_transfer_count = 32;                  // maxTransferCountOnMessageInMemory
  uint32_t max_transfer_bytes = 262144;              // maxTransferBytesOnMessageInMemory
  // messageDelayLevel in ms, level 1 first: SCHEDULE_TOPIC_XXXX tags codes are delivery times.
  std::vector<int64_t> delay_level_ms;

  static Result<MessageStoreConfig> FromProperties(const Properties& props);
};

// "1s 5s 10s 30s 1m ... 2h" -> milliseconds per level (units s, m, h, d). Error on anything else.
Result<std::vector<int64_t>> ParseDelayLevels(const std::string& text);
inline constexpr const char* kDefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

}  // namespace mq::store
