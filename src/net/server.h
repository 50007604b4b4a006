// TCP server speaking remoting frames. Accepted connections are spread over the shards and owned by
// their shard for life; requests are decoded there and dispatched through the ProcessorTable.
// A malformed frame closes that connection (with a log line) and disturbs no other.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/connection.h"
#include "net/processor_table.h"
#include "remoting/frame.h"
#include "runtime/shard_set.h"

namespace mq::net {

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 0;                  // 0: an ephemeral port (see Server::port())
  remoting::FrameLimits limits;
  uint64_t idle_timeout_ms = 120000;  // serverChannelMaxIdleTimeSeconds
};

struct ServerHooks {
  // Runs on the connection's shard after it closed for any reason (peer, error, idle, Close()).
  std::function<void(const ConnectionPtr&)> on_close;
  // Runs on the connection's shard for each RESPONSE frame the peer sends (answers to requests the
  // server side originated, e.g. broker -> client calls). Unset: responses are dropped.
  std::function<void(const ConnectionPtr&, remoting::Command&&)> on_response;
};

class Server {
 public:
  virtual ~Server() = default;
  // `table` must outlive the server. Binds synchronously (so the port is known on return).
  static Result<std::unique_ptr<Server>> Start(runtime::ShardSet& shards, const ServerOptions& options,
                                               const ProcessorTable* table, ServerHooks hooks = {});
  virtual uint16_t port() const = 0;
  // Stops accepting and closes every connection; returns once the shards have done so.
  virtual void Stop() = 0;
};

}  // namespace mq::net
