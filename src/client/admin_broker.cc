// Admin: broker-level operations — runtime info (GET_BROKER_RUNTIME_INFO, a KVTable) and
// subscription groups (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP with the SubscriptionGroupConfig body
// as fastjson writes it, GET_ALL_SUBSCRIPTIONGROUP_CONFIG), spec 2.5 and 3.5.
#include "client/admin_impl.h"
#include "client/message_codec.h"
#include "remoting/fastjson.h"
#include "remoting/request_code.h"

namespace mq {
namespace {
namespace rc = remoting::RequestCode;
using remoting::Command;

// A failed call to one broker, worded so the user knows what to check next.
Outcome BrokerError(const Result<Command>& r, const std::string& addr, const char* what) {
  if (!r.ok()) {
    return Outcome(ToInt(r.status().code()),
                   "cannot reach broker " + addr + " (" + r.status().remark() +
                       "); check the address with `mq admin clusterList -n <name server>`");
  }
  return client::ToOutcome(client::ResponseError(r.value(), std::string(what) + " on " + addr));
}

std::string Bool(bool b) { return b ? "true" : "false"; }

// Reads one member into `out`; false (and `err` set) when the member is present but unusable.
template <typename T>
bool Take(Result<T> r, T& out, Status& err) {
  if (!r.ok()) {
    err = r.status();
    return false;
  }
  out = std::move(r).value();
  return true;
}

Result<SubscriptionGroupOptions> ReadGroup(const rapidjson::Value& v) {
  using remoting::GetBoolMember;
  using remoting::GetInt32Member;
  using remoting::GetInt64Member;
  SubscriptionGroupOptions o;
  Status err;
  const bool ok =
      Take(GetBoolMember(v, "consumeEnable", o.consume_enable), o.consume_enable, err) &&
      Take(GetBoolMember(v, "consumeFromMinEnable", o.consume_from_min_enable), o.consume_from_min_enable, err) &&
      Take(GetBoolMember(v, "consumeBroadcastEnable", o.consume_broadcast_enable), o.consume_broadcast_enable, err) &&
      Take(GetInt32Member(v, "retryQueueNums", o.retry_queue_nums), o.retry_queue_nums, err) &&
      Take(GetInt32Member(v, "retryMaxTimes", o.retry_max_times), o.retry_max_times, err) &&
      Take(GetInt64Member(v, "brokerId", o.broker_id), o.broker_id, err) &&
      Take(GetInt64Member(v, "whichBrokerWhenConsumeSlowly", o.which_broker_when_consume_slowly),
           o.which_broker_when_consume_slowly, err) &&
      Take(GetBoolMember(v, "notifyConsumerIdsChangedEnable", o.notify_consumer_ids_changed_enable),
           o.notify_consumer_ids_changed_enable, err);
  if (!ok) return err;
  return o;
}

}  // namespace

std::string EncodeSubscriptionGroupConfig(const std::string& group, const SubscriptionGroupOptions& o) {
  std::string out = "{\"brokerId\":" + std::to_string(o.broker_id) +
                    ",\"consumeBroadcastEnable\":" + Bool(o.consume_broadcast_enable) +
                    ",\"consumeEnable\":" + Bool(o.consume_enable) +
                    ",\"consumeFromMinEnable\":" + Bool(o.consume_from_min_enable) + ",\"groupName\":";
  remoting::AppendJsonString(out, group);
  out += ",\"notifyConsumerIdsChangedEnable\":" + Bool(o.notify_consumer_ids_changed_enable) +
         ",\"retryMaxTimes\":" + std::to_string(o.retry_max_times) +
         ",\"retryQueueNums\":" + std::to_string(o.retry_queue_nums) +
         ",\"whichBrokerWhenConsumeSlowly\":" + std::to_string(o.which_broker_when_consume_slowly) + "}";
  return out;
}

Result<std::map<std::string, std::string>> ParseKvTable(std::string_view body) {
  rapidjson::Document doc;
  if (Status st = remoting::ParseFastjson(body, doc); !st.ok()) return st;
  const rapidjson::Value* table = remoting::FindMember(doc, "table");
  if (table == nullptr || !table->IsObject()) return Status::SystemError("a KVTable body without a \"table\" object");
  std::map<std::string, std::string> out;
  for (const auto& m : table->GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    auto value = remoting::GetStringMember(*table, key, "");
    if (!value.ok()) return value.status();
    out.emplace(key, std::move(value).value());
  }
  return out;
}

Expected<std::map<std::string, std::string>> Admin::BrokerRuntimeInfo(const std::string& broker_addr) {
  if (broker_addr.empty()) return Outcome::Fail("no broker address given (-b ip:port)");
  auto r = impl_->Call(broker_addr, Command::Request(rc::kGetBrokerRuntimeInfo));
  if (!r.ok() || r->code != 0) return BrokerError(r, broker_addr, "GET_BROKER_RUNTIME_INFO");
  auto table = ParseKvTable(r->body);
  if (!table.ok()) {
    return Outcome::Fail("broker " + broker_addr + " answered GET_BROKER_RUNTIME_INFO with " + table.status().remark());
  }
  return std::move(table).value();
}

Outcome Admin::CreateSubscriptionGroup(const std::string& broker_addr, const std::string& group,
                                       const SubscriptionGroupOptions& options) {
  if (broker_addr.empty()) return Outcome::Fail("no broker address given (-b ip:port)");
  if (Status st = client::ValidateTopic(group); !st.ok()) {
    return Outcome::Fail("bad group name \"" + group + "\": use 1..127 characters of [%|a-zA-Z0-9_-]");
  }
  Command req = Command::Request(rc::kUpdateAndCreateSubscriptiongroup);
  req.body = EncodeSubscriptionGroupConfig(group, options);
  auto r = impl_->Call(broker_addr, std::move(req));
  if (!r.ok() || r->code != 0) return BrokerError(r, broker_addr, "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP");
  return Outcome::Ok();
}

Outcome Admin::CreateSubscriptionGroupInCluster(const std::string& cluster, const std::string& group,
                                                const SubscriptionGroupOptions& options) {
  auto info = impl_->Cluster();
  if (!info.ok()) return client::ToOutcome(info.status());
  auto it = info->clusters.find(cluster);
  if (it == info->clusters.end()) {
    return Outcome::Fail("no cluster named " + cluster + " is registered; see `mq admin clusterList`");
  }
  for (const auto& name : it->second) {
    const std::string master = info->brokers[name].Master();
    if (master.empty()) continue;
    Outcome r = CreateSubscriptionGroup(master, group, options);
    if (!r.ok()) return r;
  }
  return Outcome::Ok();
}

Expected<std::map<std::string, SubscriptionGroupOptions>> Admin::SubscriptionGroups(const std::string& broker_addr) {
  if (broker_addr.empty()) return Outcome::Fail("no broker address given (-b ip:port)");
  auto r = impl_->Call(broker_addr, Command::Request(rc::kGetAllSubscriptiongroupConfig));
  if (!r.ok() || r->code != 0) return BrokerError(r, broker_addr, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG");
  rapidjson::Document doc;
  if (Status st = remoting::ParseFastjson(r->body, doc); !st.ok()) return client::ToOutcome(st);
  const rapidjson::Value* table = remoting::FindMember(doc, "subscriptionGroupTable");
  std::map<std::string, SubscriptionGroupOptions> out;
  if (table == nullptr || !table->IsObject()) return out;
  for (const auto& m : table->GetObject()) {
    auto group = ReadGroup(m.value);
    if (!group.ok()) return client::ToOutcome(group.status());
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), std::move(group).value());
  }
  return out;
}

}  // namespace mq
