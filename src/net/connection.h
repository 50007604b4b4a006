// A framed remoting connection, owned for life by the shard that accepted (or opened) it.
// Every method must be called on that shard; other shards hand work over with SubmitTo and keep
// only the shared_ptr (the refcount is atomic, the object is not).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "remoting/command.h"

namespace mq::net {

class Connection {
 public:
  virtual ~Connection() = default;
  virtual uint64_t id() const = 0;        // unique within the process
  virtual uint32_t shard_id() const = 0;  // the owning shard
  virtual const std::string& peer_address() const = 0;  // "ip:port" of the peer
  // Queues one frame; frames queued in one loop iteration go out in one submission. Dropped
  // silently after Close() or a peer reset.
  virtual void Send(const remoting::Command& command) = 0;
  virtual void Close() = 0;
  virtual bool closed() const = 0;
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace mq::net
