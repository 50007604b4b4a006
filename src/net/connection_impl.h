// The framed connection behind both the Server (accepted sockets) and the Client (outbound ones).
// Owned by one shard for life: created there, every method called there, destroyed there. Its
// owner (the server's per-shard table or the client's peer map) holds the shared_ptr until the
// close handler runs; deferred flushes and timers hold a shared_ptr / weak_ptr only briefly.
//
// Writes: Send() encodes the frame into the write queue (SendWithBody queues the encoded prefix
// plus borrowed body slices, adjacent ones of the same keepalive merged, so pull bodies go out
// straight from the commit-log mapping) and defers one flush to the end of the
// loop iteration, so every frame queued in one iteration leaves in ONE SendMsg (an iovec over the
// frames). One send is in flight at a time; a short send resubmits the remainder; frames queued
// meanwhile go out together when it completes. The queue is bounded (a peer that stops reading
// is disconnected rather than allowed to grow memory without limit).
// Reads: bytes feed a FrameDecoder; each complete command goes to the command handler; a decode
// error closes this connection with a log line naming the peer and the error.
#pragma once
#include <netinet/in.h>
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/connection.h"
#include "remoting/command.h"
#include "remoting/frame.h"
#include "runtime/io_backend.h"
#include "runtime/shard_set.h"

namespace mq::net {

class ConnectionImpl;
using ConnectionImplPtr = std::shared_ptr<ConnectionImpl>;

struct ConnectionOptions {
  remoting::FrameLimits limits;
  uint64_t idle_timeout_ms = 0;                     // 0: never close for idleness
  size_t max_write_queue_bytes = 64u << 20;         // queued + in flight; beyond it the peer is cut off
};

class ConnectionImpl final : public Connection,
                             public runtime::RecvSink,
                             public runtime::SendSink,
                             public runtime::ConnectSink,
                             public std::enable_shared_from_this<ConnectionImpl> {
 public:
  using CommandHandler = std::function<void(const ConnectionImplPtr&, remoting::Command&&)>;
  // Runs once, on the shard, when the connection closes for any reason; `reason` says why.
  using CloseHandler = std::function<void(const ConnectionImplPtr&, const Status& reason)>;

  // Takes ownership of fd (a connected socket for StartAccepted, a fresh one for StartConnect).
  static ConnectionImplPtr Create(runtime::Shard& shard, int fd, std::string peer_address,
                                  const ConnectionOptions& options, CommandHandler on_command,
                                  CloseHandler on_close);
  ~ConnectionImpl() override;

  void StartAccepted();
  // Frames sent before the connect completes are queued and flushed once it does.
  void StartConnect(const sockaddr_in& addr, uint64_t connect_timeout_ms);

  uint64_t id() const override { return id_; }
  uint32_t shard_id() const override { return shard_.id(); }
  const std::string& peer_address() const override { return peer_; }
  void Send(const remoting::Command& command) override;
  void SendWithBody(const remoting::Command& header_only, std::vector<BodySlice> body) override;
  void Close() override;
  bool closed() const override { return closed_; }

  void CloseWithReason(const Status& reason);
  bool connected() const { return connected_; }
  size_t queued_bytes() const { return queued_bytes_ + inflight_bytes_; }

  // runtime sinks
  void OnRecv(const uint8_t* data, size_t size_bytes) override;
  void OnRecvClosed(int err) override;
  void OnSendDone(ssize_t result) override;
  void OnConnect(int err) override;

 private:
  ConnectionImpl(runtime::Shard& shard, int fd, std::string peer, const ConnectionOptions& options,
                 CommandHandler on_command, CloseHandler on_close);
  void AssertOnShard() const;
  // One piece of the byte stream: owned bytes (a frame or a frame prefix) or a borrowed slice.
  struct Chunk {
    std::string owned;
    BodySlice borrowed;  // used when borrowed.data != nullptr
    const uint8_t* data() const {
      return borrowed.data != nullptr ? borrowed.data : reinterpret_cast<const uint8_t*>(owned.data());
    }
    size_t size() const { return borrowed.data != nullptr ? borrowed.size : owned.size(); }
  };
  // Accounts `bytes` more in the queue; false (connection closed) when over the bound.
  bool Admit(size_t bytes);
  void ScheduleFlush();
  void Flush();
  void SubmitInflight();
  void ArmIdleTimer(uint64_t delay_ms);
  void OnIdleTimer();

  runtime::Shard& shard_;
  runtime::IoBackend& backend_;
  const uint64_t id_;
  int fd_;
  const std::string peer_;
  const ConnectionOptions options_;
  CommandHandler on_command_;
  CloseHandler on_close_;
  remoting::FrameDecoder decoder_;
  std::vector<remoting::Command> decoded_;  // reused between reads

  std::vector<Chunk> queued_;    // frame pieces waiting for the next flush
  std::vector<Chunk> inflight_;  // pieces of the send in flight (iov_ points into them)
  std::vector<struct iovec> iov_;
  size_t iov_pos_ = 0;                 // first iovec not fully sent
  size_t queued_bytes_ = 0;
  size_t inflight_bytes_ = 0;
  bool send_in_flight_ = false;
  bool flush_scheduled_ = false;
  bool connected_ = false;
  bool closed_ = false;
  int64_t last_activity_ms_ = 0;
  runtime::TimerId idle_timer_ = 0;
  runtime::TimerId connect_timer_ = 0;
};

// "ip:port" of a connected socket's peer; "?" when unknown.
std::string PeerAddressOf(int fd);
// Parses "host:port" (IPv4 literal or "localhost"); hostnames needing DNS are refused because
// resolving would block the shard.
Result<sockaddr_in> ParseSocketAddress(const std::string& addr);

}  // namespace mq::net
