#include "broker/broker_config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <variant>

namespace mq::broker {
namespace {

using StringField = std::string BrokerConfig::*;
using IntField = int64_t BrokerConfig::*;
using BoolField = bool BrokerConfig::*;

// One broker.conf key: its Java name, the field, and for integers the accepted range.
struct Key {
  const char* name;
  std::variant<StringField, IntField, BoolField> field;
  int64_t min = 0;
  int64_t max = INT32_MAX;
};

constexpr int64_t kLong = INT64_MAX;

// brokerRole, flushDiskType and messageDelayLevel are handled apart (enums / parsed list).
const Key kKeys[] = {
    {"accessMessageInMemoryMaxRatio", &BrokerConfig::access_message_in_memory_max_ratio_percent, 0, 100},
    {"autoCreateSubscriptionGroup", &BrokerConfig::auto_create_subscription_group},
    {"autoCreateTopicEnable", &BrokerConfig::auto_create_topic_enable},
    {"brokerClusterName", &BrokerConfig::broker_cluster_name},
    {"brokerIP1", &BrokerConfig::broker_ip1},
    {"brokerIP2", &BrokerConfig::broker_ip2},
    {"brokerId", &BrokerConfig::broker_id, 0, kLong},
    {"brokerName", &BrokerConfig::broker_name},
    {"brokerPermission", &BrokerConfig::broker_permission, 0, 15},
    {"brokerTopicEnable", &BrokerConfig::broker_topic_enable},
    {"checkCRCOnRecover", &BrokerConfig::check_crc_on_recover},
    {"cleanFileForciblyEnable", &BrokerConfig::clean_file_forcibly_enable},
    {"clusterTopicEnable", &BrokerConfig::cluster_topic_enable},
    {"commitCommitLogLeastPages", &BrokerConfig::commit_commit_log_least_pages},
    {"commitIntervalCommitLog", &BrokerConfig::commit_interval_commit_log_ms, 1},
    {"compressedRegister", &BrokerConfig::compressed_register},
    {"defaultQueryMaxNum", &BrokerConfig::default_query_max_num, 1},
    {"defaultTopicQueueNums", &BrokerConfig::default_topic_queue_nums, 1, 65535},
    {"deleteWhen", &BrokerConfig::delete_when},
    {"diskMaxUsedSpaceRatio", &BrokerConfig::disk_max_used_space_ratio_percent, 0, 100},
    {"enablePropertyFilter", &BrokerConfig::enable_property_filter},
    {"enableUpdateBrokerConfig", &BrokerConfig::enable_update_broker_config},
    {"fileReservedTime", &BrokerConfig::file_reserved_time_hours, 0},
    {"flushCommitLogLeastPages", &BrokerConfig::flush_commit_log_least_pages},
    {"flushCommitLogThoroughInterval", &BrokerConfig::flush_commit_log_thorough_interval_ms},
    {"flushConsumeQueueLeastPages", &BrokerConfig::flush_consume_queue_least_pages},
    {"flushConsumeQueueThoroughInterval", &BrokerConfig::flush_consume_queue_thorough_interval_ms},
    {"flushConsumerOffsetInterval", &BrokerConfig::flush_consumer_offset_interval_ms, 1},
    {"flushDelayOffsetInterval", &BrokerConfig::flush_delay_offset_interval_ms, 1},
    {"flushIntervalCommitLog", &BrokerConfig::flush_interval_commit_log_ms, 1},
    {"flushIntervalConsumeQueue", &BrokerConfig::flush_interval_consume_queue_ms, 1},
    {"forceRegister", &BrokerConfig::force_register},
    {"haHousekeepingInterval", &BrokerConfig::ha_housekeeping_interval_ms, 1},
    {"haListenPort", &BrokerConfig::ha_listen_port, 0, 65535},
    {"haMasterAddress", &BrokerConfig::ha_master_address},
    {"haSendHeartbeatInterval", &BrokerConfig::ha_send_heartbeat_interval_ms, 1},
    {"haSlaveFallbehindMax", &BrokerConfig::ha_slave_fallbehind_max_bytes, 0, kLong},
    {"haTransferBatchSize", &BrokerConfig::ha_transfer_batch_size_bytes, 1},
    {"listenPort", &BrokerConfig::listen_port, 0, 65534},
    {"longPollingEnable", &BrokerConfig::long_polling_enable},
    {"mappedFileSizeCommitLog", &BrokerConfig::mapped_file_size_commit_log_bytes, 4096},
    {"mappedFileSizeConsumeQueue", &BrokerConfig::mapped_file_size_consume_queue_bytes, 20},
    {"maxHashSlotNum", &BrokerConfig::max_hash_slot_num, 1},
    {"maxIndexNum", &BrokerConfig::max_index_num, 1},
    {"maxMessageSize", &BrokerConfig::max_message_size_bytes, 1},
    {"maxMsgsNumBatch", &BrokerConfig::max_msgs_num_batch, 1},
    {"maxTransferBytesOnMessageInDisk", &BrokerConfig::max_transfer_bytes_on_message_in_disk, 1},
    {"maxTransferBytesOnMessageInMemory", &BrokerConfig::max_transfer_bytes_on_message_in_memory, 1},
    {"maxTransferCountOnMessageInDisk", &BrokerConfig::max_transfer_count_on_message_in_disk, 1},
    {"maxTransferCountOnMessageInMemory", &BrokerConfig::max_transfer_count_on_message_in_memory, 1},
    {"messageIndexEnable", &BrokerConfig::message_index_enable},
    {"messageIndexSafe", &BrokerConfig::message_index_safe},
    {"msgTraceTopicName", &BrokerConfig::msg_trace_topic_name},
    {"namesrvAddr", &BrokerConfig::namesrv_addr},
    {"notifyConsumerIdsChangedEnable", &BrokerConfig::notify_consumer_ids_changed_enable},
    {"offsetCheckInSlave", &BrokerConfig::offset_check_in_slave},
    {"osPageCacheBusyTimeOutMills", &BrokerConfig::os_page_cache_busy_timeout_ms},
    {"regionId", &BrokerConfig::region_id},
    {"registerBrokerTimeoutMills", &BrokerConfig::register_broker_timeout_ms, 1},
    {"registerNameServerPeriod", &BrokerConfig::register_name_server_period_ms, INT32_MIN},
    {"rejectTransactionMessage", &BrokerConfig::reject_transaction_message},
    {"serverChannelMaxIdleTimeSeconds", &BrokerConfig::server_channel_max_idle_time_s},
    {"shortPollingTimeMills", &BrokerConfig::short_polling_time_ms},
    {"slaveReadEnable", &BrokerConfig::slave_read_enable},
    {"slaveTimeout", &BrokerConfig::slave_timeout_ms},
    {"startAcceptSendRequestTimeStamp", &BrokerConfig::start_accept_send_request_timestamp_ms, 0, kLong},
    {"storePathCommitLog", &BrokerConfig::store_path_commit_log},
    {"storePathRootDir", &BrokerConfig::store_path_root_dir},
    {"syncFlushTimeout", &BrokerConfig::sync_flush_timeout_ms, 1, kLong},
    {"traceOn", &BrokerConfig::trace_on},
    {"traceTopicEnable", &BrokerConfig::trace_topic_enable},
    {"transactionCheckInterval", &BrokerConfig::transaction_check_interval_ms, 1, kLong},
    {"transactionCheckMax", &BrokerConfig::transaction_check_max},
    {"transactionTimeOut", &BrokerConfig::transaction_timeout_ms, 0, kLong},
    {"transferMsgByHeap", &BrokerConfig::transfer_msg_by_heap},
    {"transientStorePoolEnable", &BrokerConfig::transient_store_pool_enable},
    {"transientStorePoolSize", &BrokerConfig::transient_store_pool_size},
    {"waitTimeMillsInPullQueue", &BrokerConfig::wait_time_in_pull_queue_ms, 0, kLong},
    {"waitTimeMillsInSendQueue", &BrokerConfig::wait_time_in_send_queue_ms, 0, kLong},
};

Status ConfigError(const std::string& key, const std::string& what) {
  return Status::SystemError("broker config " + key + ": " + what);
}

Status ApplyKey(const Key& key, const Properties& props, BrokerConfig& c) {
  const std::string name = key.name;
  if (auto f = std::get_if<StringField>(&key.field)) {
    c.*(*f) = props.GetString(name, c.*(*f));
  } else if (auto f = std::get_if<BoolField>(&key.field)) {
    auto v = props.GetBool(name, c.*(*f));
    if (!v.ok()) return v.status();
    c.*(*f) = *v;
  } else {
    IntField field = std::get<IntField>(key.field);
    auto v = props.GetInt(name, c.*field);
    if (!v.ok()) return v.status();
    if (*v < key.min || *v > key.max) {
      return ConfigError(name, std::to_string(*v) + " is outside [" + std::to_string(key.min) + ", " +
                                   std::to_string(key.max) + "]");
    }
    c.*field = *v;
  }
  return Status::Ok();
}

// Each entry must be host:port with a numeric port, as the name-server client will dial them.
Status ValidateNamesrvAddr(const std::string& list) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(';', pos);
    if (end == std::string::npos) end = list.size();
    std::string_view addr = std::string_view(list).substr(pos, end - pos);
    pos = end + 1;
    if (addr.empty()) continue;
    size_t colon = addr.rfind(':');
    int port = -1;
    if (colon != std::string_view::npos && colon > 0) {
      auto [p, ec] = std::from_chars(addr.data() + colon + 1, addr.data() + addr.size(), port);
      if (ec != std::errc() || p != addr.data() + addr.size()) port = -1;
    }
    if (port <= 0 || port > 65535) return ConfigError("namesrvAddr", "'" + std::string(addr) + "' is not host:port");
  }
  return Status::Ok();
}

std::string LocalHostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "DEFAULT_BROKER";
  return buf;
}

std::string FirstNonLoopbackIpv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "127.0.0.1";
  std::string found = "127.0.0.1";
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)) != nullptr) {
      found = text;
      break;
    }
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

const char* BrokerRoleName(BrokerRole role) {
  switch (role) {
    case BrokerRole::kAsyncMaster: return "ASYNC_MASTER";
    case BrokerRole::kSyncMaster: return "SYNC_MASTER";
    case BrokerRole::kSlave: return "SLAVE";
  }
  return "ASYNC_MASTER";
}

const char* FlushDiskTypeName(FlushDiskType type) {
  return type == FlushDiskType::kSyncFlush ? "SYNC_FLUSH" : "ASYNC_FLUSH";
}

HostEnvironment HostEnvironment::Detect() {
  HostEnvironment env;
  const char* home = std::getenv("HOME");
  env.home = home != nullptr && home[0] != '\0' ? home : ".";
  env.host_name = LocalHostName();
  env.first_ipv4 = FirstNonLoopbackIpv4();
  if (const char* ns = std::getenv("NAMESRV_ADDR"); ns != nullptr && ns[0] != '\0') env.namesrv_addr = ns;
  return env;
}

Result<std::vector<int64_t>> ParseMessageDelayLevel(std::string_view text) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ' || text[pos] == '\t') {
      ++pos;
      continue;
    }
    size_t end = text.find_first_of(" \t", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view token = text.substr(pos, end - pos);
    pos = end;
    auto bad = [&](const char* why) {
      return ConfigError("messageDelayLevel", "'" + std::string(token) + "' " + why);
    };
    int64_t unit_ms = 0;
    switch (token.back()) {
      case 's': unit_ms = 1000; break;
      case 'm': unit_ms = 60 * 1000; break;
      case 'h': unit_ms = 60 * 60 * 1000; break;
      case 'd': unit_ms = 24 * 60 * 60 * 1000; break;
      default: return bad("needs a unit s, m, h or d");
    }
    int64_t count = 0;
    const char* first = token.data();
    const char* last = token.data() + token.size() - 1;
    auto [p, ec] = std::from_chars(first, last, count);
    if (first == last || ec != std::errc() || p != last || count < 0) return bad("is not a count and a unit");
    if (count > INT64_MAX / unit_ms) return bad("is too long");
    if (out.size() >= kMaxDelayLevels) return ConfigError("messageDelayLevel", "more than 256 levels");
    out.push_back(count * unit_ms);
  }
  if (out.empty()) return ConfigError("messageDelayLevel", "no levels");
  return out;
}

Result<BrokerConfig> BrokerConfig::FromProperties(const Properties& props, const HostEnvironment& env) {
  BrokerConfig c;
  c.broker_name = env.host_name;
  c.broker_ip1 = env.first_ipv4;
  c.broker_ip2 = env.first_ipv4;
  if (env.namesrv_addr) c.namesrv_addr = *env.namesrv_addr;
  c.store_path_root_dir = env.home + "/store";
  for (const Key& key : kKeys) {
    if (Status s = ApplyKey(key, props, c); !s.ok()) return s;
  }
  // Derived defaults follow the values they derive from, unless set explicitly.
  if (!props.Get("brokerIP2")) c.broker_ip2 = c.broker_ip1;
  if (!props.Get("storePathCommitLog")) c.store_path_commit_log = c.store_path_root_dir + "/commitlog";
  c.ha_listen_port = c.listen_port + 1;  // Java forces it too

  std::string role = props.GetString("brokerRole", "ASYNC_MASTER");
  if (role == "ASYNC_MASTER") c.broker_role = BrokerRole::kAsyncMaster;
  else if (role == "SYNC_MASTER") c.broker_role = BrokerRole::kSyncMaster;
  else if (role == "SLAVE") c.broker_role = BrokerRole::kSlave;
  else return ConfigError("brokerRole", "'" + role + "' is not ASYNC_MASTER, SYNC_MASTER or SLAVE");
  std::string flush = props.GetString("flushDiskType", "ASYNC_FLUSH");
  if (flush == "ASYNC_FLUSH") c.flush_disk_type = FlushDiskType::kAsyncFlush;
  else if (flush == "SYNC_FLUSH") c.flush_disk_type = FlushDiskType::kSyncFlush;
  else return ConfigError("flushDiskType", "'" + flush + "' is not ASYNC_FLUSH or SYNC_FLUSH");
  if (c.IsMaster()) {
    c.broker_id = 0;
  } else {
    if (c.broker_id <= 0) return ConfigError("brokerId", "a slave needs brokerId >= 1");
    c.access_message_in_memory_max_ratio_percent = std::max<int64_t>(0, c.access_message_in_memory_max_ratio_percent - 10);
  }

  c.message_delay_level = props.GetString("messageDelayLevel", kDefaultMessageDelayLevel);
  auto levels = ParseMessageDelayLevel(c.message_delay_level);
  if (!levels.ok()) return levels.status();
  c.delay_level_ms = std::move(*levels);

  c.register_name_server_period_ms = std::clamp<int64_t>(c.register_name_server_period_ms, 10000, 60000);
  if (c.broker_cluster_name.empty()) return ConfigError("brokerClusterName", "must not be empty");
  if (c.broker_name.empty()) return ConfigError("brokerName", "must not be empty");
  if (c.broker_ip1.empty()) return ConfigError("brokerIP1", "must not be empty");
  if (c.store_path_root_dir.empty()) return ConfigError("storePathRootDir", "must not be empty");
  if (Status s = ValidateNamesrvAddr(c.namesrv_addr); !s.ok()) return s;
  return c;
}

std::string BrokerConfig::ToPropertiesText() const {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const Key& key : kKeys) {
    std::string value;
    if (auto f = std::get_if<StringField>(&key.field)) value = this->*(*f);
    else if (auto f = std::get_if<BoolField>(&key.field)) value = this->*(*f) ? "true" : "false";
    else value = std::to_string(this->*std::get<IntField>(key.field));
    lines.emplace_back(key.name, std::move(value));
  }
  lines.emplace_back("brokerRole", BrokerRoleName(broker_role));
  lines.emplace_back("flushDiskType", FlushDiskTypeName(flush_disk_type));
  lines.emplace_back("messageDelayLevel", message_delay_level);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& [k, v] : lines) out += k + "=" + v + "\n";
  return out;
}

std::string BrokerConfig::AdvertisedAddress() const { return broker_ip1 + ":" + std::to_string(listen_port); }

std::string BrokerConfig::HaAddress() const { return broker_ip2 + ":" + std::to_string(ha_listen_port); }

}  // namespace mq::broker
