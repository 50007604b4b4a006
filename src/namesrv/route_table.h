// The name server's routing state (spec 3.2, 7.1): clusters, brokers, live registrations and which
// brokers host which topic. Pure data, no I/O: one instance lives on shard 0 and every request
// that reads or changes it runs there, so it needs no lock. Bodies it returns are compact JSON with
// quoted keys, as every 4.x client (incl. the Go client's hand parser) reads them.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace mq::namesrv {

struct DataVersion {
  int64_t counter = 0;
  int64_t timestamp_ms = 0;
  bool operator==(const DataVersion&) const = default;
};

struct TopicQueueConfig {  // one topic as a broker registers it
  std::string topic;
  int32_t read_queue_nums = 16;
  int32_t write_queue_nums = 16;
  int32_t perm = 6;
  int32_t topic_sys_flag = 0;
};

struct BrokerRegistration {
  std::string cluster_name;
  std::string broker_name;
  std::string broker_addr;
  std::string ha_server_addr;
  int64_t broker_id = 0;
  DataVersion data_version;
  std::vector<TopicQueueConfig> topics;
  uint64_t connection_id = 0;  // the registering connection; its close removes the broker
};

struct RegisterResult {
  std::string master_addr;     // set for a slave whose master is live
  std::string ha_server_addr;  // the master's HA address, same condition
};

class RouteTable {
 public:
  static constexpr int64_t kBrokerExpiryMs = 120000;

  RegisterResult RegisterBroker(const BrokerRegistration& reg, int64_t now_ms);
  void UnregisterBroker(const std::string& cluster, const std::string& broker_addr,
                        const std::string& broker_name, int64_t broker_id);
  // QUERY_DATA_VERSION: true when the stored version differs (or none). Refreshes liveness if equal.
  bool DataVersionChanged(const std::string& broker_addr, const DataVersion& version, int64_t now_ms,
                          std::optional<DataVersion>* stored);

  // TopicRouteData JSON, or TOPIC_NOT_EXIST with RocketMQ's remark.
  Result<std::string> RouteJson(const std::string& topic, const std::string& order_topic_conf) const;
  std::string ClusterInfoJson() const;
  std::string AllTopicsJson() const;
  std::string TopicsByClusterJson(const std::string& cluster) const;
  void DeleteTopic(const std::string& topic, const std::string& cluster /* empty: everywhere */);
  // Clears the WRITE bit (wipe) or sets perm 6 (add) on every queue of the broker name; returns count.
  int32_t WipeWritePerm(const std::string& broker_name);
  int32_t AddWritePerm(const std::string& broker_name);

  // Removes every broker registered over this connection (it closed). Returns removed addresses.
  std::vector<std::string> OnConnectionClosed(uint64_t connection_id);
  // Removes brokers whose last registration is older than expiry_ms. Returns removed addresses.
  std::vector<std::string> ExpireBrokers(int64_t now_ms, int64_t expiry_ms = kBrokerExpiryMs);

  size_t live_broker_count() const { return live_.size(); }
  bool HasTopic(const std::string& topic) const { return topics_.count(topic) != 0; }

 private:
  struct QueueData {
    int32_t read_queue_nums = 0;
    int32_t write_queue_nums = 0;
    int32_t perm = 0;
    int32_t topic_sys_flag = 0;
  };
  struct BrokerData {
    std::string cluster;
    std::map<int64_t, std::string> addrs;  // brokerId -> "ip:port"
  };
  struct LiveBroker {
    int64_t last_update_ms = 0;
    DataVersion data_version;
    std::string ha_server_addr;
    uint64_t connection_id = 0;
    std::string cluster;
  };

  void RemoveBrokerAddr(const std::string& broker_addr);
  // The broker name has no address left: drop it from its cluster and from every topic (topics
  // left without brokers disappear).
  void ForgetBrokerName(const std::string& broker_name, const std::string& cluster);

  std::map<std::string, std::set<std::string>> clusters_;                     // cluster -> broker names
  std::map<std::string, BrokerData> brokers_;                                 // broker name -> data
  std::map<std::string, std::map<std::string, QueueData>> topics_;            // topic -> broker name -> queues
  std::map<std::string, LiveBroker> live_;                                    // broker addr -> liveness
};

}  // namespace mq::namesrv
