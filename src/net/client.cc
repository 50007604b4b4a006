// Client implementation: a map "ip:port" -> Peer (the kept connection and its pending requests).
// Everything runs on the owning shard. A Peer lives from the first Invoke to that address until
// its connection closes (connect failure, peer close, error, CloseConnection); the close fails
// every pending request with the close reason, and the next Invoke opens a fresh connection.
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "base/assert.h"
#include "base/log.h"
#include "net/client.h"
#include "net/connection_impl.h"

namespace mq::net {
namespace {

struct Pending {
  Client::ResponseCallback done;
  runtime::TimerId timer = 0;
};

struct Peer {
  ConnectionImplPtr conn;
  std::unordered_map<int32_t, Pending> pending;  // opaque -> call
};

class ClientImpl final : public Client {
 public:
  ClientImpl(runtime::Shard& shard, ClientOptions options) : shard_(shard), options_(std::move(options)) {
    AssertOnShard();
  }

  ~ClientImpl() override {
    AssertOnShard();
    std::unordered_map<std::string, Peer> peers;
    peers.swap(peers_);  // close handlers below find nothing and leave the pending calls to us
    const Status gone = Status::SystemError("client destroyed");
    for (auto& [addr, peer] : peers) {
      peer.conn->CloseWithReason(gone);
      FailAll(peer, gone);
    }
  }

  void Invoke(const std::string& addr, remoting::Command request, uint64_t timeout_ms,
              ResponseCallback done) override {
    AssertOnShard();
    MQ_ASSERT(done != nullptr);
    auto peer = GetOrConnect(addr);
    if (!peer.ok()) {
      shard_.Defer([done = std::move(done), status = peer.status()] { done(status); });
      return;
    }
    const int32_t opaque = NextOpaque();
    request.opaque = opaque;
    request.flag &= ~(remoting::kFlagResponse | remoting::kFlagOneway);
    Peer& p = *peer.value();
    MQ_ASSERT(p.pending.count(opaque) == 0);
    const uint64_t conn_id = p.conn->id();
    const int32_t code = request.code;
    Pending call;
    call.done = std::move(done);
    call.timer = shard_.RunAfter(timeout_ms, [this, addr, conn_id, opaque, code, timeout_ms] {
      OnTimeout(addr, conn_id, opaque, code, timeout_ms);
    });
    p.pending.emplace(opaque, std::move(call));
    p.conn->Send(request);  // a failing send closes the connection, which fails the call
  }

  void InvokeOneway(const std::string& addr, remoting::Command request) override {
    AssertOnShard();
    auto peer = GetOrConnect(addr);
    if (!peer.ok()) {
      MQ_LOG_WARN("oneway request code {} to {} dropped: {}", request.code, addr, peer.status().remark());
      return;
    }
    request.opaque = NextOpaque();
    request.flag = (request.flag & ~remoting::kFlagResponse) | remoting::kFlagOneway;
    peer.value()->conn->Send(request);
  }

  void CloseConnection(const std::string& addr) override {
    AssertOnShard();
    auto it = peers_.find(addr);
    if (it == peers_.end()) return;
    ConnectionImplPtr conn = it->second.conn;
    conn->CloseWithReason(Status::SystemError("connection to " + addr + " closed by the client"));
  }

 private:
  void AssertOnShard() const { MQ_ASSERT_MSG(runtime::CurrentShard() == &shard_, "Client used off its shard"); }

  int32_t NextOpaque() {
    next_opaque_ = (next_opaque_ + 1) & 0x7fffffff;
    return next_opaque_;
  }

  Result<Peer*> GetOrConnect(const std::string& addr) {
    auto it = peers_.find(addr);
    if (it != peers_.end()) return &it->second;
    auto sa = ParseSocketAddress(addr);
    if (!sa.ok()) return sa.status();
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::SystemError("connect to " + addr + " failed: socket: " + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ConnectionOptions copts;
    copts.limits = options_.limits;
    auto conn = ConnectionImpl::Create(
        shard_, fd, addr, copts,
        [this, addr](const ConnectionImplPtr& c, remoting::Command&& cmd) { OnCommand(addr, c, std::move(cmd)); },
        [this, addr](const ConnectionImplPtr& c, const Status& reason) { OnClosed(addr, c, reason); });
    Peer& peer = peers_[addr];
    peer.conn = conn;
    conn->StartConnect(sa.value(), options_.connect_timeout_ms);
    return &peer;
  }

  void OnCommand(const std::string& addr, const ConnectionImplPtr& conn, remoting::Command&& cmd) {
    if (!cmd.is_response()) {
      const ProcessorTable& table = options_.request_table != nullptr ? *options_.request_table : empty_table_;
      table.Dispatch(conn, std::move(cmd));
      return;
    }
    auto it = peers_.find(addr);
    if (it == peers_.end() || it->second.conn != conn) return;
    auto call = it->second.pending.find(cmd.opaque);
    if (call == it->second.pending.end()) {
      MQ_LOG_DEBUG("response opaque {} from {} matches no pending request (late or unknown)", cmd.opaque, addr);
      return;
    }
    Pending done = std::move(call->second);
    it->second.pending.erase(call);
    shard_.Cancel(done.timer);
    done.done(std::move(cmd));
  }

  void OnClosed(const std::string& addr, const ConnectionImplPtr& conn, const Status& reason) {
    auto it = peers_.find(addr);
    if (it == peers_.end() || it->second.conn != conn) return;
    Peer peer = std::move(it->second);
    peers_.erase(it);
    FailAll(peer, reason);
  }

  void OnTimeout(const std::string& addr, uint64_t conn_id, int32_t opaque, int32_t code, uint64_t timeout_ms) {
    auto it = peers_.find(addr);
    if (it == peers_.end() || it->second.conn->id() != conn_id) return;
    auto call = it->second.pending.find(opaque);
    if (call == it->second.pending.end()) return;
    Pending done = std::move(call->second);
    it->second.pending.erase(call);
    done.done(Status::SystemError("request code " + std::to_string(code) + " to " + addr + " timed out after " +
                                  std::to_string(timeout_ms) + " ms"));
  }

  void FailAll(Peer& peer, const Status& reason) {
    std::unordered_map<int32_t, Pending> pending;
    pending.swap(peer.pending);  // callbacks may Invoke again (reconnecting) while we iterate
    for (auto& [opaque, call] : pending) {
      shard_.Cancel(call.timer);
      call.done(reason);
    }
  }

  runtime::Shard& shard_;
  const ClientOptions options_;
  const ProcessorTable empty_table_;  // answers REQUEST_CODE_NOT_SUPPORTED when no table is given
  std::unordered_map<std::string, Peer> peers_;
  int32_t next_opaque_ = 0;
};

}  // namespace

std::unique_ptr<Client> Client::Create(runtime::Shard& shard, ClientOptions options) {
  return std::make_unique<ClientImpl>(shard, std::move(options));
}

}  // namespace mq::net
