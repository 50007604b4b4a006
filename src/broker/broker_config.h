// The broker's configuration (spec 6.10): broker.conf keys in RocketMQ's Java spelling, parsed from
// a Properties (file + `key=value` overrides) into typed fields with units in their names. Built once
// at start-up, before the shards run, then read-only (every shard may read it).
// enableUpdateBrokerConfig is mq-specific (default false): UPDATE_BROKER_CONFIG is the request
// CVE-2023-33246 abused, so a broker refuses it unless this is set.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/properties.h"
#include "base/status.h"

namespace mq::broker {

enum class BrokerRole { kAsyncMaster, kSyncMaster, kSlave };
enum class FlushDiskType { kAsyncFlush, kSyncFlush };

const char* BrokerRoleName(BrokerRole role);        // "ASYNC_MASTER", ...
const char* FlushDiskTypeName(FlushDiskType type);  // "ASYNC_FLUSH", ...

// What the defaults depend on outside broker.conf; Detect() reads the host, tests pass their own.
struct HostEnvironment {
  std::string home;                          // $HOME ("." when unset)
  std::string host_name;                     // brokerName default
  std::string first_ipv4;                    // first non-loopback IPv4, else 127.0.0.1
  std::optional<std::string> namesrv_addr;   // env NAMESRV_ADDR
  static HostEnvironment Detect();
};

constexpr const char* kDefaultMessageDelayLevel = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
constexpr size_t kMaxDelayLevels = 256;

// "1s 5s 1m 2h 1d" -> delay per level in ms (level n = element n-1). Errors name the bad token.
Result<std::vector<int64_t>> ParseMessageDelayLevel(std::string_view text);

struct BrokerConfig {
  // Identity and name servers.
  std::string broker_cluster_name = "DefaultCluster";
  std::string broker_name;  // default: host name
  int64_t broker_id = 0;    // forced to 0 on masters; slaves need >= 1
  std::string namesrv_addr; // "host:port;host:port", default env NAMESRV_ADDR
  std::string broker_ip1;   // default: first non-loopback IPv4
  std::string broker_ip2;   // default: broker_ip1
  int64_t listen_port = 10911;
  int64_t ha_listen_port = 10912;  // always listen_port + 1
  std::string region_id = "DefaultRegion";
  bool trace_on = true;

  // Topics and groups.
  int64_t broker_permission = 6;
  int64_t default_topic_queue_nums = 8;
  bool auto_create_topic_enable = true;
  bool auto_create_subscription_group = true;
  bool cluster_topic_enable = true;
  bool broker_topic_enable = true;
  bool trace_topic_enable = false;
  std::string msg_trace_topic_name = "RMQ_SYS_TRACE_TOPIC";
  bool reject_transaction_message = false;
  bool enable_property_filter = false;

  // Consumers.
  int64_t flush_consumer_offset_interval_ms = 5000;
  bool long_polling_enable = true;
  int64_t short_polling_time_ms = 1000;
  bool notify_consumer_ids_changed_enable = true;
  bool slave_read_enable = false;
  bool transfer_msg_by_heap = true;

  // Registration.
  int64_t register_broker_timeout_ms = 6000;
  int64_t register_name_server_period_ms = 30000;  // clamped to [10000, 60000]
  bool force_register = true;
  bool compressed_register = false;

  // Transactions and fast failure.
  int64_t transaction_timeout_ms = 6000;
  int64_t transaction_check_max = 15;
  int64_t transaction_check_interval_ms = 60000;
  int64_t wait_time_in_send_queue_ms = 200;
  int64_t wait_time_in_pull_queue_ms = 5000;
  int64_t start_accept_send_request_timestamp_ms = 0;
  int64_t server_channel_max_idle_time_s = 120;

  // Store.
  std::string store_path_root_dir;    // default: $HOME/store
  std::string store_path_commit_log;  // default: <root>/commitlog
  BrokerRole broker_role = BrokerRole::kAsyncMaster;
  FlushDiskType flush_disk_type = FlushDiskType::kAsyncFlush;
  int64_t mapped_file_size_commit_log_bytes = 1073741824;
  int64_t mapped_file_size_consume_queue_bytes = 6000000;
  int64_t max_message_size_bytes = 4194304;
  std::string message_delay_level = kDefaultMessageDelayLevel;
  std::vector<int64_t> delay_level_ms;  // parsed message_delay_level
  int64_t sync_flush_timeout_ms = 5000;
  int64_t slave_timeout_ms = 3000;
  int64_t flush_interval_commit_log_ms = 500;
  int64_t flush_commit_log_least_pages = 4;
  int64_t flush_commit_log_thorough_interval_ms = 10000;
  int64_t commit_interval_commit_log_ms = 200;
  int64_t commit_commit_log_least_pages = 4;
  int64_t flush_interval_consume_queue_ms = 1000;
  int64_t flush_consume_queue_least_pages = 2;
  int64_t flush_consume_queue_thorough_interval_ms = 60000;
  bool transient_store_pool_enable = false;
  int64_t transient_store_pool_size = 5;
  std::string delete_when = "04";
  int64_t file_reserved_time_hours = 72;
  int64_t disk_max_used_space_ratio_percent = 75;
  bool clean_file_forcibly_enable = true;
  bool check_crc_on_recover = true;
  bool message_index_enable = true;
  bool message_index_safe = false;
  int64_t max_hash_slot_num = 5000000;
  int64_t max_index_num = 20000000;
  int64_t max_msgs_num_batch = 64;
  int64_t default_query_max_num = 32;
  int64_t max_transfer_bytes_on_message_in_memory = 262144;
  int64_t max_transfer_count_on_message_in_memory = 32;
  int64_t max_transfer_bytes_on_message_in_disk = 65536;
  int64_t max_transfer_count_on_message_in_disk = 8;
  int64_t access_message_in_memory_max_ratio_percent = 40;  // 30 on a slave
  int64_t flush_delay_offset_interval_ms = 10000;
  int64_t os_page_cache_busy_timeout_ms = 1000;

  // HA.
  std::string ha_master_address;
  int64_t ha_send_heartbeat_interval_ms = 5000;
  int64_t ha_housekeeping_interval_ms = 20000;
  int64_t ha_transfer_batch_size_bytes = 32768;
  int64_t ha_slave_fallbehind_max_bytes = 268435456;
  bool offset_check_in_slave = false;

  // mq-specific.
  bool enable_update_broker_config = false;

  // Defaults (with `env`), then every known key of `props`; unknown keys are ignored as Java does.
  // A present but malformed or out-of-range value is an error naming the key.
  static Result<BrokerConfig> FromProperties(const Properties& props, const HostEnvironment& env);
  static Result<BrokerConfig> FromProperties(const Properties& props) {
    return FromProperties(props, HostEnvironment::Detect());
  }

  // GET_BROKER_CONFIG body: one `key=value\n` line per key (Java key names), sorted by key.
  std::string ToPropertiesText() const;
  std::string AdvertisedAddress() const;  // brokerIP1:listenPort
  std::string HaAddress() const;          // brokerIP2:haListenPort
  bool IsMaster() const { return broker_role != BrokerRole::kSlave; }
};

}  // namespace mq::broker
