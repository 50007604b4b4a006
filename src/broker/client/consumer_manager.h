// Consumer groups and their live clients (spec 7.4). Owned by shard 0: every method runs there.
// The pull path on other shards sees subscriptions only through the immutable SubscriptionSnapshot
// that shard 0 rebuilds after a change and broadcasts.
//
// Clients are keyed by client id within a group (what GET_CONSUMER_LIST_BY_GROUP returns). A client
// that reconnects replaces its old connection; the old connection's later close then removes
// nothing, because removal by connection only matches the connection currently recorded.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/client/heartbeat.h"
#include "net/connection.h"

namespace mq::broker {

struct ConsumerClient {
  std::string client_id;
  net::ConnectionPtr connection;  // may be null in tests; never touched off its own shard
  uint64_t connection_id = 0;
  std::string client_addr;
  std::string language = "JAVA";
  int32_t version = 0;
  int64_t last_heartbeat_ms = 0;
};

using TopicSubscriptions = std::map<std::string, SubscriptionData>;  // topic -> subscription

// group -> topic -> subscription, frozen. Shared read-only by every shard.
struct SubscriptionSnapshot {
  std::unordered_map<std::string, std::shared_ptr<const TopicSubscriptions>> groups;
  const SubscriptionData* Find(const std::string& group, const std::string& topic) const;
};

struct ConsumerGroupInfo {
  std::vector<ConsumerClient> clients;  // registration order
  ConsumeType consume_type = ConsumeType::kPassively;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::kLastOffset;
  TopicSubscriptions subscriptions;
  int64_t last_update_ms = 0;
  // The frozen copy last handed to a snapshot; reset whenever `subscriptions` changes.
  std::shared_ptr<const TopicSubscriptions> published;
};

struct RegisterOutcome {
  bool new_client = false;             // a client id or connection not seen before in the group
  bool topics_changed = false;         // a topic added or removed: the group must rebalance
  bool subscriptions_changed = false;  // anything the snapshot shows changed (incl. newer versions)
  bool notify() const { return new_client || topics_changed; }
};

struct RemovedClient {
  std::string group;
  ConsumerClient client;
};

class ConsumerManager {
 public:
  // Heartbeat of one consumer group from one client. Topics absent from `data` are dropped; an
  // existing topic is replaced only by a greater subVersion.
  RegisterOutcome RegisterConsumer(const ConsumerData& data, ConsumerClient client, int64_t now_ms);
  // UNREGISTER_CLIENT: removes the client id from the group. True if it was there. An emptied group
  // is removed.
  bool UnregisterConsumer(const std::string& group, const std::string& client_id);
  // A connection closed: removes it from every group. Returns what was removed.
  std::vector<RemovedClient> OnConnectionClosed(uint64_t connection_id);
  // Removes clients whose last heartbeat is older than expiry_ms. The caller closes their
  // connections and notifies the groups.
  std::vector<RemovedClient> ScanNotActive(int64_t now_ms, int64_t expiry_ms);

  const ConsumerGroupInfo* FindGroup(const std::string& group) const;
  std::vector<std::string> GetConsumerIdList(const std::string& group) const;  // registration order
  std::vector<net::ConnectionPtr> ConnectionsOf(const std::string& group) const;
  std::optional<SubscriptionData> FindSubscription(const std::string& group, const std::string& topic) const;
  std::vector<std::string> GroupsOfTopic(const std::string& topic) const;  // sorted
  std::vector<std::string> Groups() const;                                 // sorted
  // ConsumerConnection body (spec 2.5); nullopt when the group has no client (CONSUMER_NOT_ONLINE).
  std::optional<std::string> ConsumerConnectionJson(const std::string& group) const;

  // True once any subscription changed since the last BuildSnapshot.
  bool snapshot_dirty() const { return snapshot_dirty_; }
  // Freezes the current subscriptions; unchanged groups share their previous frozen table.
  std::shared_ptr<const SubscriptionSnapshot> BuildSnapshot();

 private:
  void EraseGroupIfEmpty(std::unordered_map<std::string, ConsumerGroupInfo>::iterator it);

  std::unordered_map<std::string, ConsumerGroupInfo> groups_;
  bool snapshot_dirty_ = false;
};

}  // namespace mq::broker
