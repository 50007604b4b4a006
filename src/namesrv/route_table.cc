#include "namesrv/route_table.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/assert.h"

namespace mq::namesrv {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteKey(JsonWriter& w, const std::string& key) { w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size())); }
void WriteString(JsonWriter& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void WriteBrokerData(JsonWriter& w, const std::string& name, const std::string& cluster,
                     const std::map<int64_t, std::string>& addrs) {
  w.StartObject();
  w.Key("brokerAddrs");
  w.StartObject();
  for (const auto& [id, addr] : addrs) {
    WriteKey(w, std::to_string(id));  // quoted: standard JSON, what 4.9.4+ name servers emit
    WriteString(w, addr);
  }
  w.EndObject();
  w.Key("brokerName");
  WriteString(w, name);
  w.Key("cluster");
  WriteString(w, cluster);
  w.EndObject();
}

std::string TopicListJson(const std::vector<std::string>& topics) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("topicList");
  w.StartArray();
  for (const auto& t : topics) WriteString(w, t);
  w.EndArray();
  w.EndObject();
  return sb.GetString();
}

constexpr int32_t kPermWrite = 2;
constexpr int32_t kPermRead = 4;

}  // namespace

RegisterResult RouteTable::RegisterBroker(const BrokerRegistration& reg, int64_t now_ms) {
  MQ_ASSERT(!reg.broker_name.empty() && !reg.broker_addr.empty());
  clusters_[reg.cluster_name].insert(reg.broker_name);

  bool first_registration = false;
  auto [bit, created] = brokers_.try_emplace(reg.broker_name);
  BrokerData& broker = bit->second;
  if (created) {
    first_registration = true;
    broker.cluster = reg.cluster_name;
  }
  // A slave promoted to master re-registers the same address under a new id: drop the old id.
  for (auto it = broker.addrs.begin(); it != broker.addrs.end();) {
    if (it->second == reg.broker_addr && it->first != reg.broker_id) {
      it = broker.addrs.erase(it);
    } else {
      ++it;
    }
  }
  auto [ait, addr_new] = broker.addrs.insert_or_assign(reg.broker_id, reg.broker_addr);
  (void)ait;
  first_registration = first_registration || addr_new;

  if (reg.broker_id == 0) {
    auto live = live_.find(reg.broker_addr);
    const bool version_changed = live == live_.end() || !(live->second.data_version == reg.data_version);
    if (version_changed || first_registration) {
      for (const auto& t : reg.topics) {
        topics_[t.topic][reg.broker_name] =
            QueueData{t.read_queue_nums, t.write_queue_nums, t.perm, t.topic_sys_flag};
      }
    }
  }

  live_[reg.broker_addr] =
      LiveBroker{now_ms, reg.data_version, reg.ha_server_addr, reg.connection_id, reg.cluster_name};

  RegisterResult result;
  if (reg.broker_id != 0) {
    auto master = broker.addrs.find(0);
    if (master != broker.addrs.end()) {
      auto master_live = live_.find(master->second);
      if (master_live != live_.end()) {
        result.master_addr = master->second;
        result.ha_server_addr = master_live->second.ha_server_addr;
      }
    }
  }
  return result;
}

void RouteTable::UnregisterBroker(const std::string& cluster, const std::string& broker_addr,
                                  const std::string& broker_name, int64_t broker_id) {
  live_.erase(broker_addr);
  auto bit = brokers_.find(broker_name);
  if (bit == brokers_.end()) return;
  bit->second.addrs.erase(broker_id);
  if (!bit->second.addrs.empty()) return;
  brokers_.erase(bit);
  ForgetBrokerName(broker_name, cluster);
}

void RouteTable::ForgetBrokerName(const std::string& broker_name, const std::string& cluster) {
  auto cit = clusters_.find(cluster);
  if (cit != clusters_.end()) {
    cit->second.erase(broker_name);
    if (cit->second.empty()) clusters_.erase(cit);
  }
  for (auto it = topics_.begin(); it != topics_.end();) {
    it->second.erase(broker_name);
    it = it->second.empty() ? topics_.erase(it) : std::next(it);
  }
}

void RouteTable::RemoveBrokerAddr(const std::string& broker_addr) {
  auto live = live_.find(broker_addr);
  if (live == live_.end()) return;
  live_.erase(live);
  for (auto bit = brokers_.begin(); bit != brokers_.end();) {
    auto& addrs = bit->second.addrs;
    bool removed = false;
    for (auto a = addrs.begin(); a != addrs.end();) {
      if (a->second == broker_addr) {
        a = addrs.erase(a);
        removed = true;
      } else {
        ++a;
      }
    }
    if (!removed || !addrs.empty()) {
      ++bit;
      continue;
    }
    const std::string name = bit->first;
    const std::string cluster = bit->second.cluster;
    bit = brokers_.erase(bit);
    ForgetBrokerName(name, cluster);
  }
}

bool RouteTable::DataVersionChanged(const std::string& broker_addr, const DataVersion& version,
                                    int64_t now_ms, std::optional<DataVersion>* stored) {
  auto it = live_.find(broker_addr);
  if (it == live_.end()) {
    if (stored) stored->reset();
    return true;
  }
  if (stored) *stored = it->second.data_version;
  if (it->second.data_version == version) {
    it->second.last_update_ms = now_ms;  // unchanged: the query doubles as a keep-alive
    return false;
  }
  return true;
}

Result<std::string> RouteTable::RouteJson(const std::string& topic, const std::string& order_topic_conf) const {
  auto tit = topics_.find(topic);
  bool found_broker = false;
  if (tit != topics_.end()) {
    for (const auto& [name, q] : tit->second) found_broker = found_broker || brokers_.count(name) != 0;
  }
  if (!found_broker) {
    return Status::Error(ResponseCode::kTopicNotExist,
                         "No topic route info in name server for the topic: " + topic +
                             "\nCreate it on a broker (mq admin updateTopic -t " + topic +
                             ") or enable autoCreateTopicEnable on the broker.");
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("brokerDatas");
  w.StartArray();
  for (const auto& [name, q] : tit->second) {
    auto bit = brokers_.find(name);
    if (bit != brokers_.end()) WriteBrokerData(w, name, bit->second.cluster, bit->second.addrs);
  }
  w.EndArray();
  w.Key("filterServerTable");
  w.StartObject();
  w.EndObject();
  if (!order_topic_conf.empty()) {
    w.Key("orderTopicConf");
    WriteString(w, order_topic_conf);
  }
  w.Key("queueDatas");
  w.StartArray();
  for (const auto& [name, q] : tit->second) {  // sorted by broker name, as the Java client sorts
    w.StartObject();
    w.Key("brokerName");
    WriteString(w, name);
    w.Key("perm");
    w.Int(q.perm);
    w.Key("readQueueNums");
    w.Int(q.read_queue_nums);
    w.Key("topicSysFlag");
    w.Int(q.topic_sys_flag);
    w.Key("writeQueueNums");
    w.Int(q.write_queue_nums);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string RouteTable::ClusterInfoJson() const {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("brokerAddrTable");
  w.StartObject();
  for (const auto& [name, b] : brokers_) {
    WriteKey(w, name);
    WriteBrokerData(w, name, b.cluster, b.addrs);
  }
  w.EndObject();
  w.Key("clusterAddrTable");
  w.StartObject();
  for (const auto& [cluster, names] : clusters_) {
    WriteKey(w, cluster);
    w.StartArray();
    for (const auto& n : names) WriteString(w, n);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string RouteTable::AllTopicsJson() const {
  std::vector<std::string> names;
  names.reserve(topics_.size());
  for (const auto& [t, q] : topics_) names.push_back(t);
  return TopicListJson(names);
}

std::string RouteTable::TopicsByClusterJson(const std::string& cluster) const {
  std::vector<std::string> names;
  auto cit = clusters_.find(cluster);
  if (cit != clusters_.end()) {
    for (const auto& [t, q] : topics_) {
      for (const auto& [name, data] : q) {
        if (cit->second.count(name) != 0) {
          names.push_back(t);
          break;
        }
      }
    }
  }
  return TopicListJson(names);
}

void RouteTable::DeleteTopic(const std::string& topic, const std::string& cluster) {
  auto tit = topics_.find(topic);
  if (tit == topics_.end()) return;
  if (cluster.empty()) {
    topics_.erase(tit);
    return;
  }
  auto cit = clusters_.find(cluster);
  if (cit != clusters_.end()) {
    for (const auto& name : cit->second) tit->second.erase(name);
  }
  if (tit->second.empty()) topics_.erase(tit);
}

int32_t RouteTable::WipeWritePerm(const std::string& broker_name) {
  int32_t count = 0;
  for (auto& [t, q] : topics_) {
    auto it = q.find(broker_name);
    if (it == q.end()) continue;
    it->second.perm &= ~kPermWrite;
    ++count;
  }
  return count;
}

int32_t RouteTable::AddWritePerm(const std::string& broker_name) {
  int32_t count = 0;
  for (auto& [t, q] : topics_) {
    auto it = q.find(broker_name);
    if (it == q.end()) continue;
    it->second.perm = kPermRead | kPermWrite;
    ++count;
  }
  return count;
}

std::vector<std::string> RouteTable::OnConnectionClosed(uint64_t connection_id) {
  std::vector<std::string> removed;
  for (const auto& [addr, live] : live_) {
    if (live.connection_id == connection_id) removed.push_back(addr);
  }
  for (const auto& addr : removed) RemoveBrokerAddr(addr);
  return removed;
}

std::vector<std::string> RouteTable::ExpireBrokers(int64_t now_ms, int64_t expiry_ms) {
  std::vector<std::string> removed;
  for (const auto& [addr, live] : live_) {
    if (now_ms - live.last_update_ms > expiry_ms) removed.push_back(addr);
  }
  for (const auto& addr : removed) RemoveBrokerAddr(addr);
  return removed;
}

}  // namespace mq::namesrv
