// Outbound remoting connections owned by one shard: one kept connection per peer address,
// requests matched to responses by opaque, per-request timeouts on the shard's timer wheel,
// oneway sends, reconnect on the next request after a failure. Peer-initiated requests (broker ->
// client) go to an optional ProcessorTable. Create, use and destroy it on its shard only.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/processor_table.h"
#include "remoting/command.h"
#include "remoting/frame.h"
#include "runtime/shard_set.h"

namespace mq::net {

struct ClientOptions {
  uint64_t connect_timeout_ms = 3000;
  remoting::FrameLimits limits;
  const ProcessorTable* request_table = nullptr;  // handlers for requests the peer sends us
};

class Client {
 public:
  using ResponseCallback = std::function<void(Result<remoting::Command> response)>;
  virtual ~Client() = default;
  static std::unique_ptr<Client> Create(runtime::Shard& shard, ClientOptions options = {});

  // Sends `request` to "host:port" (connecting if needed) and calls `done` exactly once on this
  // shard: with the response, or an error (connect failure, peer closed, timeout after timeout_ms).
  virtual void Invoke(const std::string& addr, remoting::Command request, uint64_t timeout_ms,
                      ResponseCallback done) = 0;
  // Sends with the ONEWAY flag; no response is expected.
  virtual void InvokeOneway(const std::string& addr, remoting::Command request) = 0;
  // Closes the kept connection to addr, failing its pending requests.
  virtual void CloseConnection(const std::string& addr) = 0;
};

}  // namespace mq::net
