// A framed remoting connection, owned for life by the shard that accepted (or opened) it.
// Every method must be called on that shard; other shards hand work over with SubmitTo and keep
// only the shared_ptr (the refcount is atomic, the object is not).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "remoting/command.h"

namespace mq::net {

// Bytes a frame borrows (e.g. commit-log pages): `keepalive` pins the memory until the bytes have
// left (or the connection dropped them). Safe to create and move on any shard.
struct BodySlice {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> keepalive;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual uint64_t id() const = 0;        // unique within the process
  virtual uint32_t shard_id() const = 0;  // the owning shard
  virtual const std::string& peer_address() const = 0;  // "ip:port" of the peer
  // Queues one frame; frames queued in one loop iteration go out in one submission. Dropped
  // silently after Close() or a peer reset.
  virtual void Send(const remoting::Command& command) = 0;
  // Queues one frame whose body is `body` (concatenated), sent without copying it: the header of
  // `header_only` (its own body must be empty) goes first, then the slices, each pinned by its
  // keepalive until the send completes. Same ordering and drop rules as Send. This default copies
  // (fakes and simple transports); ConnectionImpl overrides it with a zero-copy iovec send.
  virtual void SendWithBody(const remoting::Command& header_only, std::vector<BodySlice> body) {
    remoting::Command copy = header_only;
    for (const BodySlice& s : body) copy.body.append(reinterpret_cast<const char*>(s.data), s.size);
    Send(copy);
  }
  virtual void Close() = 0;
  virtual bool closed() const = 0;
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace mq::net
