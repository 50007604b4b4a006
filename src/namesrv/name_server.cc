#include "namesrv/name_server.h"

#include <cstdlib>
#include <memory>

#include "base/hash.h"
#include "base/log.h"
#include "namesrv/register_body.h"
#include "remoting/request_code.h"

namespace mq::namesrv {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

constexpr uint32_t kOwnerShard = 0;
constexpr const char* kOrderTopicNamespace = "ORDER_TOPIC_CONFIG";
// REGISTER_BROKER bodies of senders before V3_0_11 are a bare TopicConfigSerializeWrapper.
constexpr int32_t kVersionWrappedRegisterBody = 37;

int64_t NowMs() { return runtime::CurrentShard()->now_ms(); }

Command Ok(const Command& req) { return Command::ResponseTo(req, ResponseCode::kSuccess); }

}  // namespace

NameServer::NameServer(runtime::ShardSet& shards, const NameServerOptions& options)
    : shards_(shards), options_(options), kv_(options.kv_config_path) {}

NameServer::~NameServer() { Stop(); }

Result<std::unique_ptr<NameServer>> NameServer::Start(runtime::ShardSet& shards, const NameServerOptions& options) {
  NameServerOptions opts = options;
  if (opts.kv_config_path.empty()) {
    const char* home = std::getenv("HOME");
    opts.kv_config_path = std::string(home && *home ? home : "/tmp") + "/namesrv/kvConfig.json";
  }
  std::unique_ptr<NameServer> ns(new NameServer(shards, opts));
  if (auto st = ns->kv_.Load(); !st.ok()) return st;

  ns->Register(rc::kRegisterBroker, &NameServer::RegisterBroker);
  ns->Register(rc::kUnregisterBroker, &NameServer::UnregisterBroker);
  ns->Register(rc::kQueryDataVersion, &NameServer::QueryDataVersion);
  ns->Register(rc::kGetRouteinfoByTopic, &NameServer::GetRoute);
  ns->Register(rc::kGetBrokerClusterInfo, &NameServer::GetClusterInfo);
  ns->Register(rc::kGetAllTopicListFromNameserver, &NameServer::GetAllTopics);
  ns->Register(rc::kGetTopicsByCluster, &NameServer::GetTopicsByCluster);
  ns->Register(rc::kDeleteTopicInNamesrv, &NameServer::DeleteTopic);
  ns->Register(rc::kPutKvConfig, &NameServer::PutKv);
  ns->Register(rc::kGetKvConfig, &NameServer::GetKv);
  ns->Register(rc::kDeleteKvConfig, &NameServer::DeleteKv);
  ns->Register(rc::kGetKvlistByNamespace, &NameServer::GetKvList);
  ns->Register(rc::kWipeWritePermOfBroker, &NameServer::WipeWritePerm);
  ns->Register(rc::kAddWritePermOfBroker, &NameServer::AddWritePerm);
  ns->Register(rc::kUpdateNamesrvConfig, &NameServer::RefuseConfigUpdate);

  net::ServerOptions server_options;
  server_options.host = opts.bind_host;
  server_options.port = opts.listen_port;
  NameServer* self = ns.get();
  net::ServerHooks hooks;
  hooks.on_close = [self](const net::ConnectionPtr& conn) {
    const uint64_t id = conn->id();
    self->RunOnOwner([self, id] {
      for (const auto& addr : self->routes_.OnConnectionClosed(id)) {
        MQ_LOG_INFO("broker {} removed: its name server connection closed", addr);
      }
    });
  };
  auto server = net::Server::Start(shards, server_options, &ns->table_, std::move(hooks));
  if (!server.ok()) return server.status();
  ns->server_ = std::move(server).value();

  shards.SubmitTo(kOwnerShard, [self] {
    self->scan_timer_ = runtime::CurrentShard()->RunEvery(self->options_.scan_interval_ms, [self] {
      for (const auto& addr : self->routes_.ExpireBrokers(NowMs(), self->options_.broker_expiry_ms)) {
        MQ_LOG_WARN("broker {} expired: no registration for {} ms", addr, self->options_.broker_expiry_ms);
      }
    });
  });
  return ns;
}

void NameServer::Stop() {
  if (server_) server_->Stop();
}

void NameServer::RunOnOwner(runtime::Task task) {
  runtime::Shard* here = runtime::CurrentShard();
  if (here != nullptr && here->id() == kOwnerShard) {
    task();
    return;
  }
  if (!shards_.SubmitTo(kOwnerShard, task) && here != nullptr) {
    // Ring full: the owner is far behind. Try again shortly rather than lose the work.
    here->RunAfter(1, [this, task] { RunOnOwner(task); });
  }
}

void NameServer::Register(int32_t code, Handler handler) {
  table_.Register(code, [this, handler](const net::ConnectionPtr& conn, Command&& request) {
    auto req = std::make_shared<Command>(std::move(request));
    const uint32_t reply_shard = conn->shard_id();
    auto work = [this, handler, conn, req, reply_shard] {
      std::optional<Command> response = (this->*handler)(conn->id(), *req);
      if (!response || req->is_oneway()) return;
      auto resp = std::make_shared<Command>(std::move(*response));
      if (reply_shard == kOwnerShard) {
        conn->Send(*resp);
      } else if (!shards_.SubmitTo(reply_shard, [conn, resp] { conn->Send(*resp); })) {
        MQ_LOG_WARN("dropping a response to {}: shard {} ring full", conn->peer_address(), reply_shard);
      }
    };
    if (reply_shard == kOwnerShard) {
      work();
    } else if (!shards_.SubmitTo(kOwnerShard, work) && !req->is_oneway()) {
      conn->Send(Command::ResponseTo(*req, ResponseCode::kSystemBusy, "[OVERLOAD] name server busy, retry"));
    }
  });
}

std::optional<Command> NameServer::RegisterBroker(uint64_t conn, const Command& req) {
  const auto& f = req.ext_fields;
  auto name = f.GetString("brokerName");
  auto addr = f.GetString("brokerAddr");
  auto cluster = f.GetString("clusterName");
  auto id = f.GetInt64("brokerId");
  for (const Status* st : {name.ok() ? nullptr : &name.status(), addr.ok() ? nullptr : &addr.status(),
                           cluster.ok() ? nullptr : &cluster.status(), id.ok() ? nullptr : &id.status()}) {
    if (st != nullptr) return Command::ErrorResponse(req, *st);
  }
  auto crc = f.GetInt32Or("bodyCrc32", 0);
  if (crc.ok() && *crc != 0 && MaskedCrc32(req.body.data(), req.body.size()) != *crc) {
    return Command::ResponseTo(req, ResponseCode::kSystemError, "crc32 not match");
  }
  auto body = DecodeRegisterBody(req.body, f.GetBoolOr("compressed", false),
                                 req.version >= kVersionWrappedRegisterBody);
  if (!body.ok()) return Command::ErrorResponse(req, body.status());

  BrokerRegistration reg;
  reg.cluster_name = *cluster;
  reg.broker_name = *name;
  reg.broker_addr = *addr;
  const std::string* ha = f.Find("haServerAddr");
  reg.ha_server_addr = ha ? *ha : std::string();
  reg.broker_id = *id;
  reg.data_version = body->data_version;
  reg.topics = std::move(body->topics);
  reg.connection_id = conn;
  RegisterResult result = routes_.RegisterBroker(reg, NowMs());

  Command resp = Ok(req);
  if (!result.master_addr.empty()) {
    resp.ext_fields.Set("masterAddr", result.master_addr);
    resp.ext_fields.Set("haServerAddr", result.ha_server_addr);
  }
  if (auto order = kv_.NamespaceJson(kOrderTopicNamespace)) resp.body = std::move(*order);
  return resp;
}

std::optional<Command> NameServer::UnregisterBroker(uint64_t, const Command& req) {
  const auto& f = req.ext_fields;
  auto name = f.GetString("brokerName");
  auto addr = f.GetString("brokerAddr");
  auto cluster = f.GetString("clusterName");
  auto id = f.GetInt64("brokerId");
  if (!name.ok()) return Command::ErrorResponse(req, name.status());
  if (!addr.ok()) return Command::ErrorResponse(req, addr.status());
  if (!cluster.ok()) return Command::ErrorResponse(req, cluster.status());
  if (!id.ok()) return Command::ErrorResponse(req, id.status());
  routes_.UnregisterBroker(*cluster, *addr, *name, *id);
  MQ_LOG_INFO("broker {} ({} id {}) unregistered", *addr, *name, *id);
  return Ok(req);
}

std::optional<Command> NameServer::QueryDataVersion(uint64_t, const Command& req) {
  auto addr = req.ext_fields.GetString("brokerAddr");
  if (!addr.ok()) return Command::ErrorResponse(req, addr.status());
  auto version = DecodeDataVersion(req.body);
  if (!version.ok()) return Command::ErrorResponse(req, version.status());
  std::optional<DataVersion> stored;
  const bool changed = routes_.DataVersionChanged(*addr, *version, NowMs(), &stored);
  Command resp = Ok(req);
  resp.ext_fields.Set("changed", changed ? "true" : "false");
  if (stored) resp.body = EncodeDataVersion(*stored);
  return resp;
}

std::optional<Command> NameServer::GetRoute(uint64_t, const Command& req) {
  auto topic = req.ext_fields.GetString("topic");
  if (!topic.ok()) return Command::ErrorResponse(req, topic.status());
  std::string order_conf;
  if (options_.order_message_enable) {
    if (auto v = kv_.Get(kOrderTopicNamespace, *topic)) order_conf = *v;
  }
  auto route = routes_.RouteJson(*topic, order_conf);
  if (!route.ok()) return Command::ErrorResponse(req, route.status());
  Command resp = Ok(req);
  resp.ext_fields_member = false;
  resp.body = std::move(route).value();
  return resp;
}

std::optional<Command> NameServer::GetClusterInfo(uint64_t, const Command& req) {
  Command resp = Ok(req);
  resp.body = routes_.ClusterInfoJson();
  return resp;
}

std::optional<Command> NameServer::GetAllTopics(uint64_t, const Command& req) {
  Command resp = Ok(req);
  resp.body = routes_.AllTopicsJson();
  return resp;
}

std::optional<Command> NameServer::GetTopicsByCluster(uint64_t, const Command& req) {
  auto cluster = req.ext_fields.GetString("cluster");
  if (!cluster.ok()) return Command::ErrorResponse(req, cluster.status());
  Command resp = Ok(req);
  resp.body = routes_.TopicsByClusterJson(*cluster);
  return resp;
}

std::optional<Command> NameServer::DeleteTopic(uint64_t, const Command& req) {
  auto topic = req.ext_fields.GetString("topic");
  if (!topic.ok()) return Command::ErrorResponse(req, topic.status());
  const std::string* cluster = req.ext_fields.Find("clusterName");
  routes_.DeleteTopic(*topic, cluster ? *cluster : std::string());
  return Ok(req);
}

std::optional<Command> NameServer::PutKv(uint64_t, const Command& req) {
  auto ns = req.ext_fields.GetString("namespace");
  auto key = req.ext_fields.GetString("key");
  if (!ns.ok() || !key.ok()) return Command::ResponseTo(req, ResponseCode::kSystemError, "namespace or key is null");
  const std::string* value = req.ext_fields.Find("value");
  if (auto st = kv_.Put(*ns, *key, value ? *value : std::string()); !st.ok()) return Command::ErrorResponse(req, st);
  return Ok(req);
}

std::optional<Command> NameServer::GetKv(uint64_t, const Command& req) {
  const std::string* ns = req.ext_fields.Find("namespace");
  const std::string* key = req.ext_fields.Find("key");
  std::optional<std::string> value;
  if (ns && key) value = kv_.Get(*ns, *key);
  if (!value) {
    return Command::ResponseTo(req, ResponseCode::kQueryNotFound,
                               "No config item, Namespace: " + (ns ? *ns : std::string("null")) +
                                   " Key: " + (key ? *key : std::string("null")));
  }
  Command resp = Ok(req);
  resp.ext_fields.Set("value", *value);
  return resp;
}

std::optional<Command> NameServer::DeleteKv(uint64_t, const Command& req) {
  const std::string* ns = req.ext_fields.Find("namespace");
  const std::string* key = req.ext_fields.Find("key");
  if (ns && key) {
    if (auto st = kv_.Delete(*ns, *key); !st.ok()) return Command::ErrorResponse(req, st);
  }
  return Ok(req);
}

std::optional<Command> NameServer::GetKvList(uint64_t, const Command& req) {
  const std::string* ns = req.ext_fields.Find("namespace");
  std::optional<std::string> body;
  if (ns) body = kv_.NamespaceJson(*ns);
  if (!body) {
    return Command::ResponseTo(req, ResponseCode::kQueryNotFound,
                               "No config item, Namespace: " + (ns ? *ns : std::string("null")));
  }
  Command resp = Ok(req);
  resp.body = std::move(*body);
  return resp;
}

std::optional<Command> NameServer::WipeWritePerm(uint64_t, const Command& req) {
  auto name = req.ext_fields.GetString("brokerName");
  if (!name.ok()) return Command::ErrorResponse(req, name.status());
  Command resp = Ok(req);
  resp.ext_fields.Set("wipeTopicCount", std::to_string(routes_.WipeWritePerm(*name)));
  return resp;
}

std::optional<Command> NameServer::AddWritePerm(uint64_t, const Command& req) {
  auto name = req.ext_fields.GetString("brokerName");
  if (!name.ok()) return Command::ErrorResponse(req, name.status());
  Command resp = Ok(req);
  resp.ext_fields.Set("addTopicCount", std::to_string(routes_.AddWritePerm(*name)));
  return resp;
}

std::optional<Command> NameServer::RefuseConfigUpdate(uint64_t, const Command& req) {
  // Remote configuration changes were RocketMQ's CVE-2023-33246 vector; edit the config file instead.
  return Command::ResponseTo(req, ResponseCode::kNoPermission,
                             "updating the name server configuration over the network is disabled; "
                             "edit the config file and restart");
}

}  // namespace mq::namesrv
