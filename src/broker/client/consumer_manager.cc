#include "broker/client/consumer_manager.h"

#include <algorithm>

namespace mq::broker {

const SubscriptionData* SubscriptionSnapshot::Find(const std::string& group, const std::string& topic) const {
  auto g = groups.find(group);
  if (g == groups.end() || !g->second) return nullptr;
  auto t = g->second->find(topic);
  return t == g->second->end() ? nullptr : &t->second;
}

RegisterOutcome ConsumerManager::RegisterConsumer(const ConsumerData& data, ConsumerClient client, int64_t now_ms) {
  RegisterOutcome out;
  auto [it, created] = groups_.try_emplace(data.group);
  ConsumerGroupInfo& info = it->second;
  info.consume_type = data.consume_type;
  info.message_model = data.message_model;
  info.consume_from_where = data.consume_from_where;
  info.last_update_ms = now_ms;

  client.last_heartbeat_ms = now_ms;
  auto existing = std::find_if(info.clients.begin(), info.clients.end(),
                               [&](const ConsumerClient& c) { return c.client_id == client.client_id; });
  if (existing == info.clients.end()) {
    info.clients.push_back(std::move(client));
    out.new_client = true;
  } else {
    // A reconnect is a new channel to the reference broker: the group hears about it.
    if (existing->connection_id != client.connection_id) out.new_client = true;
    *existing = std::move(client);
  }

  for (const auto& sub : data.subscriptions) {
    auto cur = info.subscriptions.find(sub.topic);
    if (cur == info.subscriptions.end()) {
      info.subscriptions.emplace(sub.topic, sub);
      out.topics_changed = true;
    } else if (sub.sub_version > cur->second.sub_version) {
      if (!(cur->second == sub)) out.subscriptions_changed = true;
      cur->second = sub;
    }
  }
  for (auto cur = info.subscriptions.begin(); cur != info.subscriptions.end();) {
    const bool kept = std::any_of(data.subscriptions.begin(), data.subscriptions.end(),
                                  [&](const SubscriptionData& s) { return s.topic == cur->first; });
    if (kept) {
      ++cur;
    } else {
      cur = info.subscriptions.erase(cur);
      out.topics_changed = true;
    }
  }
  if (out.topics_changed) out.subscriptions_changed = true;
  if (out.subscriptions_changed || created) {
    info.published.reset();
    snapshot_dirty_ = true;
  }
  return out;
}

void ConsumerManager::EraseGroupIfEmpty(std::unordered_map<std::string, ConsumerGroupInfo>::iterator it) {
  if (!it->second.clients.empty()) return;
  groups_.erase(it);
  snapshot_dirty_ = true;
}

bool ConsumerManager::UnregisterConsumer(const std::string& group, const std::string& client_id) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  auto& clients = it->second.clients;
  auto c = std::find_if(clients.begin(), clients.end(),
                        [&](const ConsumerClient& x) { return x.client_id == client_id; });
  if (c == clients.end()) return false;
  clients.erase(c);
  EraseGroupIfEmpty(it);
  return true;
}

std::vector<RemovedClient> ConsumerManager::OnConnectionClosed(uint64_t connection_id) {
  std::vector<RemovedClient> removed;
  for (auto it = groups_.begin(); it != groups_.end();) {
    auto& clients = it->second.clients;
    for (auto c = clients.begin(); c != clients.end();) {
      if (c->connection_id == connection_id) {
        removed.push_back({it->first, std::move(*c)});
        c = clients.erase(c);
      } else {
        ++c;
      }
    }
    auto next = std::next(it);
    EraseGroupIfEmpty(it);
    it = next;
  }
  return removed;
}

std::vector<RemovedClient> ConsumerManager::ScanNotActive(int64_t now_ms, int64_t expiry_ms) {
  std::vector<RemovedClient> removed;
  for (auto it = groups_.begin(); it != groups_.end();) {
    auto& clients = it->second.clients;
    for (auto c = clients.begin(); c != clients.end();) {
      if (now_ms - c->last_heartbeat_ms > expiry_ms) {
        removed.push_back({it->first, std::move(*c)});
        c = clients.erase(c);
      } else {
        ++c;
      }
    }
    auto next = std::next(it);
    EraseGroupIfEmpty(it);
    it = next;
  }
  return removed;
}

const ConsumerGroupInfo* ConsumerManager::FindGroup(const std::string& group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

std::vector<std::string> ConsumerManager::GetConsumerIdList(const std::string& group) const {
  std::vector<std::string> ids;
  if (const auto* info = FindGroup(group)) {
    ids.reserve(info->clients.size());
    for (const auto& c : info->clients) ids.push_back(c.client_id);
  }
  return ids;
}

std::vector<net::ConnectionPtr> ConsumerManager::ConnectionsOf(const std::string& group) const {
  std::vector<net::ConnectionPtr> conns;
  if (const auto* info = FindGroup(group)) {
    for (const auto& c : info->clients) {
      if (c.connection) conns.push_back(c.connection);
    }
  }
  return conns;
}

std::optional<SubscriptionData> ConsumerManager::FindSubscription(const std::string& group,
                                                                  const std::string& topic) const {
  const auto* info = FindGroup(group);
  if (info == nullptr) return std::nullopt;
  auto it = info->subscriptions.find(topic);
  if (it == info->subscriptions.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ConsumerManager::GroupsOfTopic(const std::string& topic) const {
  std::vector<std::string> out;
  for (const auto& [group, info] : groups_) {
    if (info.subscriptions.count(topic) != 0) out.push_back(group);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> ConsumerManager::Groups() const {
  std::vector<std::string> out;
  out.reserve(groups_.size());
  for (const auto& entry : groups_) out.push_back(entry.first);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> ConsumerManager::ConsumerConnectionJson(const std::string& group) const {
  const auto* info = FindGroup(group);
  if (info == nullptr || info->clients.empty()) return std::nullopt;
  std::vector<ClientConnectionInfo> conns;
  for (const auto& c : info->clients) conns.push_back({c.client_id, c.client_addr, c.language, c.version});
  return EncodeConsumerConnection(conns, info->consume_type, info->message_model, info->consume_from_where,
                                  info->subscriptions);
}

std::shared_ptr<const SubscriptionSnapshot> ConsumerManager::BuildSnapshot() {
  auto snap = std::make_shared<SubscriptionSnapshot>();
  snap->groups.reserve(groups_.size());
  for (auto& [group, info] : groups_) {
    if (!info.published) info.published = std::make_shared<const TopicSubscriptions>(info.subscriptions);
    snap->groups.emplace(group, info.published);
  }
  snapshot_dirty_ = false;
  return snap;
}

}  // namespace mq::broker
