#include "broker/processors/admin_processor.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>

#include "base/log.h"
#include "base/properties.h"
#include "broker/namesrv_registrar.h"
#include "broker/processors/admin_stats_processor.h"
#include "remoting/fastjson.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

constexpr uint32_t kControlShard = 0;
// What the reference leaves in the remark of its UPDATE_AND_CREATE_TOPIC answer (captured).
constexpr const char* kUnsetRemark = "not set any response code";

constexpr std::array<std::string_view, 28> kUpdatableKeys = {
    "autoCreateTopicEnable", "autoCreateSubscriptionGroup", "defaultTopicQueueNums", "brokerPermission",
    "clusterTopicEnable", "brokerTopicEnable", "traceTopicEnable", "longPollingEnable", "shortPollingTimeMills",
    "notifyConsumerIdsChangedEnable", "slaveReadEnable", "transferMsgByHeap", "flushConsumerOffsetInterval",
    "registerNameServerPeriod", "registerBrokerTimeoutMills", "transactionTimeOut", "transactionCheckMax",
    "transactionCheckInterval", "waitTimeMillsInSendQueue", "waitTimeMillsInPullQueue", "fileReservedTime",
    "deleteWhen", "diskMaxUsedSpaceRatio", "maxMessageSize", "messageDelayLevel", "defaultQueryMaxNum",
    "maxTransferCountOnMessageInMemory", "maxTransferBytesOnMessageInMemory",
};

using Handler = void (*)(AdminContext&, const net::ConnectionPtr&, Command&&);

void Reply(AdminContext& a, const net::ConnectionPtr& conn, Command resp) {
  ReplyOnOwnShard(a.broker.shards, conn, std::move(resp));
}

void ReplyStatus(AdminContext& a, const net::ConnectionPtr& conn, const Command& req, const Status& st,
                 std::optional<std::string> ok_remark = {}) {
  if (req.is_oneway()) return;  // never answered
  Reply(a, conn, st.ok() ? Command::ResponseTo(req, ResponseCode::kSuccess, std::move(ok_remark))
                         : Command::ErrorResponse(req, st));
}

// Runs `op` with the tables on shard 0 and answers `req` with its status (body from `body`).
void OnControl(AdminContext& a, const net::ConnectionPtr& conn, const Command& req,
               std::function<Status(ControlPlane::Tables&, std::string& body)> op) {
  auto body = std::make_shared<std::string>();
  auto shared_req = std::make_shared<Command>(req);
  shared_req->body.clear();
  a.broker.control.CallOnControl([op, body](ControlPlane::Tables& t) { return op(t, *body); },
                                 [&a, conn, shared_req, body](Status st) {
                                   if (shared_req->is_oneway()) return;
                                   Command resp = st.ok() ? Command::ResponseTo(*shared_req, ResponseCode::kSuccess)
                                                          : Command::ErrorResponse(*shared_req, st);
                                   if (st.ok()) resp.body = std::move(*body);
                                   Reply(a, conn, std::move(resp));
                                 });
}

void UpdateTopic(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  if (!a.broker.config.IsMaster()) return ReplyStatus(a, conn, req, Status::SystemError(kSlaveRefusalRemark));
  const auto& f = req.ext_fields;
  auto topic = f.GetString("topic");
  auto read = f.GetInt32("readQueueNums");
  auto write = f.GetInt32("writeQueueNums");
  auto perm = f.GetInt32("perm");
  auto sys_flag = f.GetInt32Or("topicSysFlag", 0);
  for (const Status* st : {topic.ok() ? nullptr : &topic.status(), read.ok() ? nullptr : &read.status(),
                           write.ok() ? nullptr : &write.status(), perm.ok() ? nullptr : &perm.status(),
                           sys_flag.ok() ? nullptr : &sys_flag.status()}) {
    if (st != nullptr) return ReplyStatus(a, conn, req, *st);
  }
  TopicConfig config;
  config.topic_name = *topic;
  config.read_queue_nums = *read;
  config.write_queue_nums = *write;
  config.perm = *perm;
  config.topic_sys_flag = *sys_flag;
  config.order = f.GetBoolOr("order", false);
  if (const std::string* type = f.Find("topicFilterType")) {
    auto parsed = ParseTopicFilterType(*type);
    if (!parsed.ok()) return ReplyStatus(a, conn, req, parsed.status());
    config.topic_filter_type = *parsed;
  }
  auto shared_req = std::make_shared<Command>(std::move(req));
  ControlPlane& control = a.broker.control;
  control.CallOnControl(
      [config, &control](ControlPlane::Tables& t) {
        Status st = t.topics.UpdateTopic(config);
        if (st.ok()) control.PublishTopics();
        return st;
      },
      [&a, conn, shared_req, topic_name = config.topic_name](Status st) {
        if (!st.ok() || a.registrar == nullptr) return ReplyStatus(a, conn, *shared_req, st, kUnsetRemark);
        // Tell the name servers (only this topic, two-way) before answering.
        auto answer = [&a, conn, shared_req](size_t) {
          ReplyStatus(a, conn, *shared_req, Status::Ok(), kUnsetRemark);
        };
        if (!RunOn(a.broker.shards, kControlShard, [&a, topic_name, answer] {
              a.registrar->RegisterAll(/*oneway=*/false, {topic_name}, answer);
            })) {
          answer(0);  // the periodic registration will carry it
        }
      });
}

void DeleteTopic(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  if (!a.broker.config.IsMaster()) return ReplyStatus(a, conn, req, Status::SystemError(kSlaveRefusalRemark));
  auto topic = req.ext_fields.GetString("topic");
  if (!topic.ok()) return ReplyStatus(a, conn, req, topic.status());
  auto shared_req = std::make_shared<Command>(std::move(req));
  ControlPlane& control = a.broker.control;
  control.CallOnControl(
      [name = *topic, &control](ControlPlane::Tables& t) -> Status {
        auto deleted = t.topics.DeleteTopic(name);
        if (!deleted.ok()) return deleted.status();
        if (*deleted) control.PublishTopics();
        return Status::Ok();
      },
      [&a, conn, shared_req, name = *topic](Status st) {
        if (!st.ok()) return ReplyStatus(a, conn, *shared_req, st);
        // Every shard drops its queues and offsets of the topic; the last one answers.
        const uint32_t n = a.broker.shards.size();
        auto remaining = std::make_shared<std::atomic<uint32_t>>(n);
        for (uint32_t shard = 0; shard < n; ++shard) {
          auto work = [&a, conn, shared_req, name, remaining] {
            a.broker.store.DeleteTopicQueues(name);
            a.broker.control.offsets().RemoveTopic(name);
            if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
              ReplyStatus(a, conn, *shared_req, Status::Ok());
            }
          };
          if (!RunOn(a.broker.shards, shard, work)) {
            MQ_LOG_WARN("delete topic {}: shard {} busy, its queues stay until restart", name, shard);
            if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
              ReplyStatus(a, conn, *shared_req, Status::Ok());
            }
          }
        }
      });
}

void GetAllTopicConfig(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  OnControl(a, conn, req, [](ControlPlane::Tables& t, std::string& body) {
    body = t.topics.EncodeWrapper();
    return Status::Ok();
  });
}

void UpdateGroup(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  if (!a.broker.config.IsMaster()) return ReplyStatus(a, conn, req, Status::SystemError(kSlaveRefusalRemark));
  rapidjson::Document doc;
  if (Status st = remoting::ParseFastjson(req.body, doc); !st.ok()) return ReplyStatus(a, conn, req, st);
  if (!doc.IsObject()) return ReplyStatus(a, conn, req, Status::SystemError("the body must be a SubscriptionGroupConfig object"));
  auto config = ReadSubscriptionGroupConfig(doc, "");
  if (!config.ok()) return ReplyStatus(a, conn, req, config.status());
  if (Status st = ValidateGroupName(config->group_name); !st.ok()) return ReplyStatus(a, conn, req, st);
  ControlPlane& control = a.broker.control;
  OnControl(a, conn, req, [cfg = *config, &control](ControlPlane::Tables& t, std::string&) {
    Status st = t.groups.Update(cfg);
    if (st.ok()) control.PublishGroups();
    return st;
  });
}

void GetAllGroups(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  OnControl(a, conn, req, [](ControlPlane::Tables& t, std::string& body) {
    body = t.groups.EncodeWrapper();
    return Status::Ok();
  });
}

void DeleteGroup(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  if (!a.broker.config.IsMaster()) return ReplyStatus(a, conn, req, Status::SystemError(kSlaveRefusalRemark));
  auto group = req.ext_fields.GetString("groupName");
  if (!group.ok()) return ReplyStatus(a, conn, req, group.status());
  const bool remove_offsets = req.ext_fields.GetBoolOr("removeOffset", false);
  ControlPlane& control = a.broker.control;
  OnControl(a, conn, req, [name = *group, &control](ControlPlane::Tables& t, std::string&) {
    if (t.groups.Delete(name)) control.PublishGroups();
    return Status::Ok();
  });
  if (remove_offsets) {
    // Offsets live with their queues: each shard forgets its part (best effort, like a commit).
    runtime::Broadcast(a.broker.shards, [&a, name = *group](uint32_t) { a.broker.control.offsets().RemoveGroup(name); });
  }
}

void GetBrokerConfig(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  auto shared_req = std::make_shared<Command>(std::move(req));
  auto version = std::make_shared<std::string>();
  a.broker.control.CallOnControl(
      [&a, version](ControlPlane::Tables&) {
        *version = EncodeDataVersion(a.config_version);
        return Status::Ok();
      },
      [&a, conn, shared_req, version](Status st) {
        if (!st.ok() || shared_req->is_oneway()) return ReplyStatus(a, conn, *shared_req, st);
        Command resp = Command::ResponseTo(*shared_req, ResponseCode::kSuccess);
        resp.ext_fields.Set("version", *version);
        resp.body = a.broker.config.ToPropertiesText();
        Reply(a, conn, std::move(resp));
      });
}

void UpdateBrokerConfig(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  if (!a.broker.config.enable_update_broker_config) {
    return ReplyStatus(a, conn, req,
                       Status::Error(ResponseCode::kNoPermission,
                                     "UPDATE_BROKER_CONFIG is disabled on this broker (CVE-2023-33246); set "
                                     "enableUpdateBrokerConfig=true in broker.conf to allow a few safe keys"));
  }
  auto update = Properties::Parse(req.body);
  if (!update.ok()) return ReplyStatus(a, conn, req, update.status());
  if (update->entries().empty()) return ReplyStatus(a, conn, req, Status::SystemError("no key=value in the body"));
  for (const auto& [key, value] : update->entries()) {
    if (!IsUpdatableBrokerConfigKey(key)) {
      return ReplyStatus(a, conn, req,
                         Status::Error(ResponseCode::kNoPermission,
                                       "broker config key " + key + " cannot be changed remotely (CVE-2023-33246)"));
    }
  }
  // Values must parse the way broker.conf would parse them.
  if (auto checked = BrokerConfig::FromProperties(*update); !checked.ok()) {
    return ReplyStatus(a, conn, req, checked.status());
  }
  const std::string path = BrokerConfigOverridePath(a.broker.config.store_path_root_dir);
  OnControl(a, conn, req, [&a, path, upd = *update](ControlPlane::Tables&, std::string&) -> Status {
    Properties merged;
    if (auto existing = Properties::LoadFile(path); existing.ok()) merged = std::move(existing).value();
    merged.Merge(upd);
    std::string text = "# Written by UPDATE_BROKER_CONFIG; applied at the next start.\n";
    for (const auto& [k, v] : merged.entries()) text += k + "=" + v + "\n";
    if (Status st = PersistJsonFile(path, text); !st.ok()) return st;  // atomic write, any text
    a.config_version.Next(WallClockMs());
    MQ_LOG_INFO("broker config override written to {} (applies at the next start)", path);
    return Status::Ok();
  });
}

void GetRuntimeInfo(AdminContext& a, const net::ConnectionPtr& conn, Command&& req) {
  auto shared_req = std::make_shared<Command>(std::move(req));
  if (shared_req->is_oneway()) return;
  auto task = [&a, conn, shared_req] {
    static const BrokerStats kNoStats(1, 0);
    const BrokerStats& stats = a.stats != nullptr ? *a.stats : kNoStats;
    const BrokerStats::Snapshot sample = a.stats != nullptr ? a.stats->Sample() : BrokerStats::Snapshot{};
    Command resp = Command::ResponseTo(*shared_req, ResponseCode::kSuccess);
    resp.body = EncodeKvTable(BuildRuntimeInfo(a.broker.config, a.broker.store, stats, sample, WallClockMs()));
    Reply(a, conn, std::move(resp));
  };
  // The sampler lives on shard 0.
  if (!RunOn(a.broker.shards, kControlShard, task)) {
    ReplyStatus(a, conn, *shared_req, Status::Error(ResponseCode::kSystemBusy, "[REJECTREQUEST] control shard busy"));
  }
}

}  // namespace

bool IsUpdatableBrokerConfigKey(std::string_view key) {
  return std::find(kUpdatableKeys.begin(), kUpdatableKeys.end(), key) != kUpdatableKeys.end();
}

std::string BrokerConfigOverridePath(const std::string& store_root) {
  return store_root + "/config/brokerConfigOverride.properties";
}

void RegisterAdminProcessors(AdminContext& admin, net::ProcessorTable& table) {
  const std::pair<int32_t, Handler> handlers[] = {
      {rc::kUpdateAndCreateTopic, &UpdateTopic},
      {rc::kDeleteTopicInBroker, &DeleteTopic},
      {rc::kGetAllTopicConfig, &GetAllTopicConfig},
      {rc::kUpdateAndCreateSubscriptiongroup, &UpdateGroup},
      {rc::kGetAllSubscriptiongroupConfig, &GetAllGroups},
      {rc::kDeleteSubscriptiongroup, &DeleteGroup},
      {rc::kGetBrokerConfig, &GetBrokerConfig},
      {rc::kUpdateBrokerConfig, &UpdateBrokerConfig},
      {rc::kGetBrokerRuntimeInfo, &GetRuntimeInfo},
  };
  for (const auto& [code, handler] : handlers) {
    table.Register(code, [&admin, handler = handler](const net::ConnectionPtr& conn, Command&& req) {
      handler(admin, conn, std::move(req));
    });
  }
}

}  // namespace mq::broker
