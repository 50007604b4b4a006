// The name server role (spec 3.2, 7.1). Composition root: a Server on the shards, a
// ProcessorTable, and the routing state (RouteTable + KvConfig), which lives on shard 0. Requests
// arriving on other shards are handed to shard 0 as explicit tasks and their answers handed back to
// the connection's shard; no lock is shared. Start/Stop from the main thread.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "namesrv/kv_config.h"
#include "namesrv/route_table.h"
#include "net/processor_table.h"
#include "net/server.h"
#include "runtime/shard_set.h"

namespace mq::namesrv {

struct NameServerOptions {
  std::string bind_host = "0.0.0.0";
  uint16_t listen_port = 9876;
  std::string kv_config_path;           // empty: $HOME/namesrv/kvConfig.json
  bool order_message_enable = false;
  uint64_t scan_interval_ms = 10000;    // broker expiry scan period
  int64_t broker_expiry_ms = RouteTable::kBrokerExpiryMs;
};

class NameServer {
 public:
  static Result<std::unique_ptr<NameServer>> Start(runtime::ShardSet& shards, const NameServerOptions& options);
  ~NameServer();
  uint16_t port() const { return server_->port(); }
  void Stop();

 private:
  NameServer(runtime::ShardSet& shards, const NameServerOptions& options);
  using Handler = std::optional<remoting::Command> (NameServer::*)(uint64_t connection_id, const remoting::Command&);
  void Register(int32_t code, Handler handler);
  void RunOnOwner(runtime::Task task);

  std::optional<remoting::Command> RegisterBroker(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> UnregisterBroker(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> QueryDataVersion(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> GetRoute(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> GetClusterInfo(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> GetAllTopics(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> GetTopicsByCluster(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> DeleteTopic(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> PutKv(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> GetKv(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> DeleteKv(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> GetKvList(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> WipeWritePerm(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> AddWritePerm(uint64_t conn, const remoting::Command& req);
  std::optional<remoting::Command> RefuseConfigUpdate(uint64_t conn, const remoting::Command& req);

  runtime::ShardSet& shards_;
  NameServerOptions options_;
  net::ProcessorTable table_;
  std::unique_ptr<net::Server> server_;
  // Owned by shard 0 (kOwnerShard); touched only there.
  RouteTable routes_;
  KvConfig kv_;
  runtime::TimerId scan_timer_ = 0;
};

}  // namespace mq::namesrv
