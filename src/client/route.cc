#include "client/route.h"

#include <algorithm>

#include "remoting/fastjson.h"

namespace mq::client {
namespace {

using remoting::FindMember;

Status ParseBrokerData(const rapidjson::Value& v, BrokerData& out) {
  auto name = remoting::GetStringMember(v, "brokerName", "");
  auto cluster = remoting::GetStringMember(v, "cluster", "");
  if (!name.ok()) return name.status();
  if (!cluster.ok()) return cluster.status();
  out.broker_name = name.value();
  out.cluster = cluster.value();
  const auto* addrs = FindMember(v, "brokerAddrs");
  if (addrs != nullptr && addrs->IsObject()) {
    for (auto it = addrs->MemberBegin(); it != addrs->MemberEnd(); ++it) {
      if (!it->value.IsString()) continue;
      char* end = nullptr;
      const std::string key(it->name.GetString(), it->name.GetStringLength());
      const long long id = std::strtoll(key.c_str(), &end, 10);
      if (end == key.c_str() || *end != '\0') return Status::SystemError("bad broker id key: " + key);
      out.addrs[id] = std::string(it->value.GetString(), it->value.GetStringLength());
    }
  }
  return Status::Ok();
}

}  // namespace

std::string BrokerData::Master() const {
  auto it = addrs.find(0);
  return it == addrs.end() ? std::string() : it->second;
}

std::string BrokerData::MasterOrAny() const {
  if (addrs.empty()) return "";
  auto it = addrs.find(0);
  return it != addrs.end() ? it->second : addrs.begin()->second;
}

const BrokerData* TopicRoute::FindBroker(std::string_view broker_name) const {
  for (const auto& b : broker_datas) {
    if (b.broker_name == broker_name) return &b;
  }
  return nullptr;
}

bool TopicRoute::operator==(const TopicRoute& o) const {
  auto same_q = [](const QueueData& a, const QueueData& b) {
    return a.broker_name == b.broker_name && a.read_queue_nums == b.read_queue_nums &&
           a.write_queue_nums == b.write_queue_nums && a.perm == b.perm;
  };
  auto same_b = [](const BrokerData& a, const BrokerData& b) {
    return a.broker_name == b.broker_name && a.addrs == b.addrs;
  };
  return std::equal(queue_datas.begin(), queue_datas.end(), o.queue_datas.begin(), o.queue_datas.end(), same_q) &&
         std::equal(broker_datas.begin(), broker_datas.end(), o.broker_datas.begin(), o.broker_datas.end(),
                    same_b);
}

Result<TopicRoute> ParseTopicRoute(std::string_view body) {
  rapidjson::Document doc;
  Status st = remoting::ParseFastjson(body, doc);
  if (!st.ok()) return st;
  if (!doc.IsObject()) return Status::SystemError("route body is not a JSON object");
  TopicRoute route;
  if (const auto* qds = FindMember(doc, "queueDatas"); qds != nullptr && qds->IsArray()) {
    for (const auto& v : qds->GetArray()) {
      QueueData q;
      auto name = remoting::GetStringMember(v, "brokerName", "");
      auto r = remoting::GetInt32Member(v, "readQueueNums", 0);
      auto w = remoting::GetInt32Member(v, "writeQueueNums", 0);
      auto p = remoting::GetInt32Member(v, "perm", 0);
      auto f = remoting::GetInt32Member(v, "topicSysFlag", 0);
      if (!name.ok() || !r.ok() || !w.ok() || !p.ok() || !f.ok()) return Status::SystemError("bad queueData");
      q.broker_name = name.value();
      q.read_queue_nums = std::clamp(r.value(), 0, 65535);  // bounded before queue lists are built
      q.write_queue_nums = std::clamp(w.value(), 0, 65535);
      q.perm = p.value();
      q.topic_sys_flag = f.value();
      route.queue_datas.push_back(std::move(q));
    }
  }
  if (const auto* bds = FindMember(doc, "brokerDatas"); bds != nullptr && bds->IsArray()) {
    for (const auto& v : bds->GetArray()) {
      BrokerData b;
      st = ParseBrokerData(v, b);
      if (!st.ok()) return st;
      route.broker_datas.push_back(std::move(b));
    }
  }
  auto order = remoting::GetStringMember(doc, "orderTopicConf", "");
  if (order.ok()) route.order_topic_conf = order.value();
  std::sort(route.queue_datas.begin(), route.queue_datas.end(),
            [](const QueueData& a, const QueueData& b) { return a.broker_name < b.broker_name; });
  std::sort(route.broker_datas.begin(), route.broker_datas.end(),
            [](const BrokerData& a, const BrokerData& b) { return a.broker_name < b.broker_name; });
  return route;
}

Result<ClusterInfo> ParseClusterInfo(std::string_view body) {
  rapidjson::Document doc;
  Status st = remoting::ParseFastjson(body, doc);
  if (!st.ok()) return st;
  ClusterInfo info;
  if (const auto* t = FindMember(doc, "brokerAddrTable"); t != nullptr && t->IsObject()) {
    for (auto it = t->MemberBegin(); it != t->MemberEnd(); ++it) {
      BrokerData b;
      st = ParseBrokerData(it->value, b);
      if (!st.ok()) return st;
      info.brokers[std::string(it->name.GetString(), it->name.GetStringLength())] = std::move(b);
    }
  }
  if (const auto* t = FindMember(doc, "clusterAddrTable"); t != nullptr && t->IsObject()) {
    for (auto it = t->MemberBegin(); it != t->MemberEnd(); ++it) {
      auto& names = info.clusters[std::string(it->name.GetString(), it->name.GetStringLength())];
      if (!it->value.IsArray()) continue;
      for (const auto& n : it->value.GetArray()) {
        if (n.IsString()) names.emplace_back(n.GetString(), n.GetStringLength());
      }
      std::sort(names.begin(), names.end());
    }
  }
  return info;
}

std::vector<MessageQueue> PublishQueues(const std::string& topic, const TopicRoute& route) {
  std::vector<MessageQueue> out;
  for (const QueueData& q : route.queue_datas) {
    if ((q.perm & kPermWrite) == 0) continue;
    const BrokerData* b = route.FindBroker(q.broker_name);
    if (b == nullptr || b->Master().empty()) continue;
    for (int32_t i = 0; i < q.write_queue_nums; ++i) out.push_back({topic, q.broker_name, i});
  }
  return out;
}

std::vector<MessageQueue> SubscribeQueues(const std::string& topic, const TopicRoute& route) {
  std::vector<MessageQueue> out;
  for (const QueueData& q : route.queue_datas) {
    if ((q.perm & kPermRead) == 0) continue;
    for (int32_t i = 0; i < q.read_queue_nums; ++i) out.push_back({topic, q.broker_name, i});
  }
  return out;
}

std::vector<MessageQueue> AllocateAveragely(std::vector<MessageQueue> all, std::vector<std::string> cids,
                                            const std::string& self) {
  std::sort(all.begin(), all.end());
  std::sort(cids.begin(), cids.end());
  std::vector<MessageQueue> out;
  auto it = std::find(cids.begin(), cids.end(), self);
  if (it == cids.end() || all.empty()) return out;
  const size_t n = all.size();
  const size_t c = cids.size();
  const size_t i = static_cast<size_t>(it - cids.begin());
  const size_t mod = n % c;
  const size_t size = n <= c ? 1 : (mod > 0 && i < mod ? n / c + 1 : n / c);
  const size_t start = (mod > 0 && i < mod) ? i * size : i * size + mod;
  if (start >= n) return out;
  const size_t take = std::min(size, n - start);
  for (size_t k = 0; k < take; ++k) out.push_back(all[(start + k) % n]);
  return out;
}

}  // namespace mq::client
