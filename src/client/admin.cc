// Admin: topic create/delete/list/route/status and the cluster list (spec 3.2, 3.5).
#include <map>

#include "client/admin_impl.h"
#include "client/message_codec.h"
#include "remoting/fastjson.h"
#include "remoting/request_code.h"

namespace mq {
namespace {
namespace rc = remoting::RequestCode;
using remoting::Command;

Outcome Check(const Result<Command>& r, const char* what) {
  if (!r.ok()) return client::ToOutcome(r.status());
  if (r->code != 0) return client::ToOutcome(client::ResponseError(r.value(), what));
  return Outcome::Ok();
}

BrokerInfo ToInfo(const client::BrokerData& b) { return BrokerInfo{b.cluster, b.broker_name, b.addrs}; }
}  // namespace

Result<client::ClusterInfo> Admin::Impl::Cluster() {
  auto r = CallNamesrv(Command::Request(rc::kGetBrokerClusterInfo));
  if (!r.ok()) return r.status();
  if (r->code != 0) return client::ResponseError(r.value(), "GET_BROKER_CLUSTER_INFO");
  return client::ParseClusterInfo(r->body);
}

Result<std::vector<std::pair<std::string, std::string>>> Admin::Impl::TopicMasters(const std::string& topic) {
  auto route = inst_->Route(topic, true);
  if (!route.ok()) return route.status();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& b : route.value()->broker_datas) {
    if (!b.Master().empty()) out.emplace_back(b.broker_name, b.Master());
  }
  return out;
}

Admin::Admin(AdminOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Admin::~Admin() { Shutdown(); }

Outcome Admin::Start() {
  client::InstanceConfig cfg;
  cfg.namesrv_addr = impl_->opt_.namesrv_addr;
  cfg.rpc_timeout_ms = impl_->opt_.timeout_ms;
  auto inst = client::ClientInstance::Start(cfg, {});
  if (!inst.ok()) return client::ToOutcome(inst.status());
  impl_->inst_ = inst.value();
  return Outcome::Ok();
}

void Admin::Shutdown() {
  if (impl_->inst_) impl_->inst_->Shutdown();
  impl_->inst_.reset();
}

Outcome Admin::CreateTopic(const std::string& broker_addr, const std::string& topic, const TopicOptions& o) {
  Status st = client::ValidateTopic(topic);
  if (!st.ok()) return client::ToOutcome(st);
  Command req = Command::Request(rc::kUpdateAndCreateTopic);
  req.ext_fields.Set("topic", topic);
  req.ext_fields.Set("defaultTopic", "TBW102");
  req.ext_fields.Set("readQueueNums", std::to_string(o.read_queue_nums));
  req.ext_fields.Set("writeQueueNums", std::to_string(o.write_queue_nums));
  req.ext_fields.Set("perm", std::to_string(o.perm));
  req.ext_fields.Set("topicFilterType", "SINGLE_TAG");
  req.ext_fields.Set("topicSysFlag", "0");
  req.ext_fields.Set("order", o.order ? "true" : "false");
  return Check(impl_->Call(broker_addr, std::move(req)), "UPDATE_AND_CREATE_TOPIC");
}

Outcome Admin::CreateTopicInCluster(const std::string& cluster, const std::string& topic, const TopicOptions& o) {
  auto info = impl_->Cluster();
  if (!info.ok()) return client::ToOutcome(info.status());
  auto it = info->clusters.find(cluster);
  if (it == info->clusters.end()) return Outcome::Fail("no cluster named " + cluster + " is registered");
  for (const auto& name : it->second) {
    const std::string master = info->brokers[name].Master();
    if (master.empty()) continue;
    Outcome r = CreateTopic(master, topic, o);
    if (!r.ok()) return r;
  }
  return Outcome::Ok();
}

Outcome Admin::DeleteTopic(const std::string& cluster, const std::string& topic) {
  auto info = impl_->Cluster();
  if (!info.ok()) return client::ToOutcome(info.status());
  auto it = info->clusters.find(cluster);
  if (it == info->clusters.end()) return Outcome::Fail("no cluster named " + cluster + " is registered");
  for (const auto& name : it->second) {
    const std::string master = info->brokers[name].Master();
    if (master.empty()) continue;
    Command req = Command::Request(rc::kDeleteTopicInBroker);
    req.ext_fields.Set("topic", topic);
    Outcome r = Check(impl_->Call(master, std::move(req)), "DELETE_TOPIC_IN_BROKER");
    if (!r.ok()) return r;
  }
  Command req = Command::Request(rc::kDeleteTopicInNamesrv);
  req.ext_fields.Set("topic", topic);
  req.ext_fields.Set("clusterName", cluster);
  return Check(impl_->CallNamesrv(std::move(req)), "DELETE_TOPIC_IN_NAMESRV");
}

Expected<std::vector<std::string>> Admin::TopicList() {
  auto r = impl_->CallNamesrv(Command::Request(rc::kGetAllTopicListFromNameserver));
  Outcome c = Check(r, "GET_ALL_TOPIC_LIST_FROM_NAMESERVER");
  if (!c.ok()) return c;
  rapidjson::Document doc;
  Status st = remoting::ParseFastjson(r->body, doc);
  if (!st.ok()) return client::ToOutcome(st);
  std::vector<std::string> out;
  if (const auto* list = remoting::FindMember(doc, "topicList"); list != nullptr && list->IsArray()) {
    for (const auto& v : list->GetArray()) {
      if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Expected<TopicRouteInfo> Admin::TopicRoute(const std::string& topic) {
  if (!impl_->inst_) return Outcome::Fail("admin is not started");
  auto route = impl_->inst_->Route(topic, true);
  if (!route.ok()) return client::ToOutcome(route.status());
  TopicRouteInfo info;
  for (const auto& q : route.value()->queue_datas) {
    info.queues.push_back({q.broker_name, q.read_queue_nums, q.write_queue_nums, q.perm});
  }
  for (const auto& b : route.value()->broker_datas) info.brokers.push_back(ToInfo(b));
  return info;
}

Expected<std::map<std::string, std::vector<BrokerInfo>>> Admin::ClusterList() {
  auto info = impl_->Cluster();
  if (!info.ok()) return client::ToOutcome(info.status());
  std::map<std::string, std::vector<BrokerInfo>> out;
  for (const auto& [cluster, names] : info->clusters) {
    auto& list = out[cluster];
    for (const auto& n : names) {
      auto it = info->brokers.find(n);
      if (it != info->brokers.end()) list.push_back(ToInfo(it->second));
    }
  }
  return out;
}

Expected<std::vector<QueueStatus>> Admin::TopicStatus(const std::string& topic) {
  if (!impl_->inst_) return Outcome::Fail("admin is not started");
  auto masters = impl_->TopicMasters(topic);
  if (!masters.ok()) return client::ToOutcome(masters.status());
  std::vector<QueueStatus> out;
  for (const auto& [name, addr] : masters.value()) {
    Command req = Command::Request(rc::kGetTopicStatsInfo);
    req.ext_fields.Set("topic", topic);
    auto r = impl_->Call(addr, std::move(req));
    Outcome c = Check(r, "GET_TOPIC_STATS_INFO");
    if (!c.ok()) return c;
    auto table = ParseQueueKeyedTable(r->body);
    if (!table.ok()) return client::ToOutcome(table.status());
    for (const auto& [mq, value] : table.value()) {
      rapidjson::Document v;
      if (!remoting::ParseFastjson(value, v).ok()) continue;
      QueueStatus s;
      s.queue = mq;
      auto mn = remoting::GetInt64Member(v, "minOffset", 0);
      auto mx = remoting::GetInt64Member(v, "maxOffset", 0);
      auto ts = remoting::GetInt64Member(v, "lastUpdateTimestamp", 0);
      s.min_offset = mn.ok() ? mn.value() : 0;
      s.max_offset = mx.ok() ? mx.value() : 0;
      s.last_update_timestamp_ms = ts.ok() ? ts.value() : 0;
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const QueueStatus& a, const QueueStatus& b) { return a.queue < b.queue; });
  return out;
}

}  // namespace mq
