#include "broker/client/producer_manager.h"

#include <algorithm>

namespace mq::broker {

void ProducerManager::RegisterProducer(const std::string& group, ProducerClient client, int64_t now_ms) {
  client.last_heartbeat_ms = now_ms;
  const uint64_t id = client.connection_id;
  groups_[group][id] = std::move(client);
}

bool ProducerManager::UnregisterProducer(const std::string& group, uint64_t connection_id) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  const bool removed = it->second.erase(connection_id) != 0;
  if (it->second.empty()) groups_.erase(it);
  return removed;
}

size_t ProducerManager::OnConnectionClosed(uint64_t connection_id) {
  size_t removed = 0;
  for (auto it = groups_.begin(); it != groups_.end();) {
    removed += it->second.erase(connection_id);
    it = it->second.empty() ? groups_.erase(it) : std::next(it);
  }
  return removed;
}

std::vector<ProducerClient> ProducerManager::ScanNotActive(int64_t now_ms, int64_t expiry_ms) {
  std::vector<ProducerClient> expired;
  for (auto it = groups_.begin(); it != groups_.end();) {
    auto& clients = it->second;
    for (auto c = clients.begin(); c != clients.end();) {
      if (now_ms - c->second.last_heartbeat_ms > expiry_ms) {
        expired.push_back(std::move(c->second));
        c = clients.erase(c);
      } else {
        ++c;
      }
    }
    it = clients.empty() ? groups_.erase(it) : std::next(it);
  }
  return expired;
}

std::vector<std::string> ProducerManager::Groups() const {
  std::vector<std::string> out;
  for (const auto& entry : groups_) out.push_back(entry.first);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> ProducerManager::ProducerConnectionJson(const std::string& group) const {
  auto it = groups_.find(group);
  if (it == groups_.end()) return std::nullopt;
  std::vector<ClientConnectionInfo> conns;
  for (const auto& [id, c] : it->second) conns.push_back({c.client_id, c.client_addr, c.language, c.version});
  return EncodeProducerConnection(conns);
}

net::ConnectionPtr ProducerManager::PickConnection(const std::string& group, uint64_t seed) const {
  auto it = groups_.find(group);
  if (it == groups_.end() || it->second.empty()) return nullptr;
  // Connections are not inspected here (that would be off their shard); a closed one is removed
  // by OnConnectionClosed shortly after, and a check-back sent to it is simply dropped.
  std::vector<const ProducerClient*> candidates;
  for (const auto& [id, c] : it->second) {
    if (c.connection) candidates.push_back(&c);
  }
  if (candidates.empty()) return nullptr;
  return candidates[seed % candidates.size()]->connection;
}

}  // namespace mq::broker
