// Producer groups and the connections that announced them by heartbeat (spec 7.4). Owned by
// shard 0. Keyed by connection, like the reference: UNREGISTER_CLIENT and a close remove the
// connection that carried them. Feeds GET_PRODUCER_CONNECTION_LIST and transaction check-backs.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/client/heartbeat.h"
#include "net/connection.h"

namespace mq::broker {

struct ProducerClient {
  std::string client_id;
  net::ConnectionPtr connection;  // may be null in tests; never touched off its own shard
  uint64_t connection_id = 0;
  std::string client_addr;
  std::string language = "JAVA";
  int32_t version = 0;
  int64_t last_heartbeat_ms = 0;
};

class ProducerManager {
 public:
  // Adds or refreshes (client id, language, version, time) the connection in the group.
  void RegisterProducer(const std::string& group, ProducerClient client, int64_t now_ms);
  // Removes the connection from the group; an emptied group is removed. True if it was there.
  bool UnregisterProducer(const std::string& group, uint64_t connection_id);
  // Removes the connection from every group; returns how many registrations went.
  size_t OnConnectionClosed(uint64_t connection_id);
  // Removes registrations older than expiry_ms; returns them so the caller closes the connections.
  std::vector<ProducerClient> ScanNotActive(int64_t now_ms, int64_t expiry_ms);

  bool HasGroup(const std::string& group) const { return groups_.count(group) != 0; }
  std::vector<std::string> Groups() const;  // sorted
  // ProducerConnection body; nullopt for an unknown group.
  std::optional<std::string> ProducerConnectionJson(const std::string& group) const;
  // A live connection of the group for a broker-initiated request (transaction check-back), chosen
  // by `seed` among the open ones; null when none.
  net::ConnectionPtr PickConnection(const std::string& group, uint64_t seed) const;

 private:
  // group -> connection id -> client; ordered so answers are stable.
  std::unordered_map<std::string, std::map<uint64_t, ProducerClient>> groups_;
};

}  // namespace mq::broker
