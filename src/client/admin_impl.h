// Admin::Impl: a ClientInstance without heartbeats plus blocking helpers. admin.cc holds topic and
// cluster operations, admin_query.cc message queries, progress and offset reset, admin_broker.cc
// broker runtime info and subscription groups.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/client_instance.h"
#include "mq/admin.h"

namespace mq {

// {"offsetTable":{<MessageQueue object>:<flat object>,...}} (fastjson object keys) -> entries.
Result<std::vector<std::pair<MessageQueue, std::string>>> ParseQueueKeyedTable(std::string_view body);

// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body: SubscriptionGroupConfig as fastjson writes it (members
// in alphabetical order). admin_broker.cc.
std::string EncodeSubscriptionGroupConfig(const std::string& group, const SubscriptionGroupOptions& options);
// {"table":{"k":"v",...}} (KVTable, GET_BROKER_RUNTIME_INFO) -> sorted map.
Result<std::map<std::string, std::string>> ParseKvTable(std::string_view body);

class Admin::Impl {
 public:
  explicit Impl(AdminOptions o) : opt_(std::move(o)) {}
  AdminOptions opt_;
  std::shared_ptr<client::ClientInstance> inst_;

  Result<remoting::Command> Call(const std::string& addr, remoting::Command req) {
    if (!inst_) return Status::SystemError("admin is not started");
    return inst_->Invoke(addr, std::move(req), opt_.timeout_ms);
  }
  Result<remoting::Command> CallNamesrv(remoting::Command req) {
    if (!inst_) return Status::SystemError("admin is not started");
    return inst_->InvokeNamesrv(std::move(req), opt_.timeout_ms);
  }
  Result<client::ClusterInfo> Cluster();
  // Masters of every broker hosting the topic.
  Result<std::vector<std::pair<std::string, std::string>>> TopicMasters(const std::string& topic);
};

}  // namespace mq
