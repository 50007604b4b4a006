// mq::Admin: mqadmin-style operations against the name servers and brokers. Every call is
// synchronous on the calling thread (each bounded by timeout_ms); thread-safe.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mq/message.h"
#include "mq/result.h"

namespace mq {

struct AdminOptions {
  std::string namesrv_addr = "127.0.0.1:9876";
  uint64_t timeout_ms = 5000;
};

struct TopicOptions {
  int32_t read_queue_nums = 8;
  int32_t write_queue_nums = 8;
  int32_t perm = 6;  // 2 write, 4 read, 6 both
  bool order = false;
};

struct BrokerInfo {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> addrs;  // broker id (0 = master) -> "ip:port"
};

struct QueueInfo {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
};

struct TopicRouteInfo {
  std::vector<QueueInfo> queues;
  std::vector<BrokerInfo> brokers;
};

struct QueueStatus {
  MessageQueue queue;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp_ms = 0;
};

struct QueueProgress {
  MessageQueue queue;
  int64_t broker_offset = 0;    // max offset of the queue
  int64_t consumer_offset = 0;  // committed offset of the group
  int64_t lag() const { return broker_offset - consumer_offset; }
};

// A consumer group's settings on a broker (SubscriptionGroupConfig); defaults are the broker's.
struct SubscriptionGroupOptions {
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;  // then the dead-letter queue (clients older than 3.4.9; newer ones send their own)
  int64_t broker_id = 0;         // 0 = consume from the master
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
};

class Admin {
 public:
  explicit Admin(AdminOptions options);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  Outcome Start();
  void Shutdown();

  // Creates or updates the topic on one broker ("ip:port") or on every master of a cluster.
  Outcome CreateTopic(const std::string& broker_addr, const std::string& topic, const TopicOptions& options);
  Outcome CreateTopicInCluster(const std::string& cluster, const std::string& topic, const TopicOptions& options);
  // DELETE_TOPIC_IN_BROKER on every master of the cluster, then DELETE_TOPIC_IN_NAMESRV.
  Outcome DeleteTopic(const std::string& cluster, const std::string& topic);
  Expected<std::vector<std::string>> TopicList();
  Expected<TopicRouteInfo> TopicRoute(const std::string& topic);
  // cluster name -> brokers
  Expected<std::map<std::string, std::vector<BrokerInfo>>> ClusterList();
  Expected<std::vector<QueueStatus>> TopicStatus(const std::string& topic);
  // GET_CONSUME_STATS when the broker has it, else QUERY_CONSUMER_OFFSET + GET_MAX_OFFSET per queue.
  Expected<std::vector<QueueProgress>> ConsumerProgress(const std::string& group, const std::string& topic);
  Expected<std::vector<MessageExt>> QueryMsgByKey(const std::string& topic, const std::string& key,
                                                  int32_t max_num = 32);
  // Offset msg ids are viewed directly; UNIQ_KEY ids are looked up with QUERY_MESSAGE (topic needed).
  Expected<MessageExt> QueryMsgById(const std::string& topic, const std::string& msg_id);
  Expected<MessageExt> QueryMsgByOffset(const MessageQueue& queue, int64_t offset);
  // INVOKE_BROKER_TO_RESET_OFFSET on every master hosting the topic (online consumers are told);
  // when no consumer of the group is online, the committed offsets are rewritten directly, as
  // mqadmin does. timestamp_ms -1 = the end of every queue.
  Outcome ResetOffsetByTime(const std::string& group, const std::string& topic, int64_t timestamp_ms,
                            bool force = true);

  // GET_BROKER_RUNTIME_INFO of one broker ("ip:port"): its KVTable (msgPutTotalTodayNow,
  // brokerVersionDesc, putTps, ...), keys sorted as mqadmin brokerStatus prints them.
  Expected<std::map<std::string, std::string>> BrokerRuntimeInfo(const std::string& broker_addr);
  // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on one broker, or on every master of a cluster.
  Outcome CreateSubscriptionGroup(const std::string& broker_addr, const std::string& group,
                                  const SubscriptionGroupOptions& options);
  Outcome CreateSubscriptionGroupInCluster(const std::string& cluster, const std::string& group,
                                           const SubscriptionGroupOptions& options);
  // GET_ALL_SUBSCRIPTIONGROUP_CONFIG of one broker: group name -> settings.
  Expected<std::map<std::string, SubscriptionGroupOptions>> SubscriptionGroups(const std::string& broker_addr);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mq
