// Topic routes (spec 2.3) as clients use them: parsing the TopicRouteData body (fastjson, incl.
// unquoted integer keys), the publish queue list (writable QueueData with a master, sorted by broker
// name), the subscribe queue list (readable QueueData), and the averaging allocation (spec 7.6).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mq/message.h"

namespace mq::client {

inline constexpr int32_t kPermRead = 4;
inline constexpr int32_t kPermWrite = 2;

struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  int32_t topic_sys_flag = 0;
};

struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> addrs;  // broker id -> "ip:port"; 0 = master
  // The master, else the lowest-id slave, else "".
  std::string MasterOrAny() const;
  std::string Master() const;
};

struct TopicRoute {
  std::vector<QueueData> queue_datas;
  std::vector<BrokerData> broker_datas;
  std::string order_topic_conf;

  const BrokerData* FindBroker(std::string_view broker_name) const;
  bool operator==(const TopicRoute& other) const;
};

Result<TopicRoute> ParseTopicRoute(std::string_view body);

// cluster name -> broker names, broker name -> data (GET_BROKER_CLUSTER_INFO).
struct ClusterInfo {
  std::map<std::string, BrokerData> brokers;
  std::map<std::string, std::vector<std::string>> clusters;
};
Result<ClusterInfo> ParseClusterInfo(std::string_view body);

std::vector<MessageQueue> PublishQueues(const std::string& topic, const TopicRoute& route);
std::vector<MessageQueue> SubscribeQueues(const std::string& topic, const TopicRoute& route);

// AllocateMessageQueueAveragely. `all` and `cids` are sorted here; empty when `self` is not in cids.
std::vector<MessageQueue> AllocateAveragely(std::vector<MessageQueue> all, std::vector<std::string> cids,
                                            const std::string& self);

}  // namespace mq::client
