// Server: one listening socket accepted on shard 0, connections handed round-robin to the shards.
//
// Why not SO_REUSEPORT with a listener per shard: the kernel spreads by 4-tuple hash, which with
// the handful of long-lived connections RocketMQ clients open (one per client instance) easily
// leaves a shard idle or doubles one up; round-robin is exact. The cost is one cross-shard hop
// per accepted connection, negligible for long-lived connections, and Stop() has one listener to
// close, after which a single ordered message per shard (sent from shard 0, behind any hand-offs
// in the same ring) closes that shard's connections.
//
// Lifetime: ServerState is shared by the Server object and every task / handler that may run on a
// shard, so a late task never touches freed memory. Per-shard tables are touched only by their
// shard; Start/Stop run on a control thread (never a shard thread: Stop waits).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/assert.h"
#include "base/log.h"
#include "net/connection_impl.h"
#include "net/server.h"
#include "runtime/io_backend.h"

namespace mq::net {
namespace {

constexpr int kListenBacklog = 1024;
constexpr auto kStopTimeout = std::chrono::seconds(10);

struct ServerState : runtime::AcceptSink, std::enable_shared_from_this<ServerState> {
  struct PerShard {
    std::unordered_map<uint64_t, ConnectionImplPtr> conns;
    bool stopped = false;
  };

  runtime::ShardSet& shards;
  ServerOptions options;
  const ProcessorTable* table;
  ServerHooks hooks;
  int listen_fd = -1;
  uint16_t port = 0;
  uint32_t next_shard = 0;  // shard 0 only
  std::vector<PerShard> per_shard;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  uint32_t stopped_shards = 0;  // guarded by stop_mu

  ServerState(runtime::ShardSet& s, const ServerOptions& o, const ProcessorTable* t, ServerHooks h)
      : shards(s), options(o), table(t), hooks(std::move(h)), per_shard(s.size()) {}

  void OnAccept(int fd) override {
    MQ_ASSERT(runtime::CurrentShard()->id() == 0);
    if (per_shard[0].stopped) {
      ::close(fd);
      return;
    }
    const uint32_t target = next_shard++ % shards.size();
    if (target == 0) {
      Adopt(fd);
      return;
    }
    auto self = shared_from_this();
    if (!shards.SubmitTo(target, [self, fd] { self->Adopt(fd); })) {
      MQ_LOG_WARN("server: ring to shard {} full, refusing connection from {}", target, PeerAddressOf(fd));
      ::close(fd);
    }
  }

  void OnAcceptError(int err) override { MQ_LOG_WARN("server: accept failed: {}", std::strerror(err)); }

  // On the target shard: wraps fd in a connection owned by this shard's table.
  void Adopt(int fd) {
    runtime::Shard& shard = *runtime::CurrentShard();
    PerShard& mine = per_shard[shard.id()];
    if (mine.stopped) {
      ::close(fd);
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ConnectionOptions copts;
    copts.limits = options.limits;
    copts.idle_timeout_ms = options.idle_timeout_ms;
    std::weak_ptr<ServerState> weak = weak_from_this();
    auto conn = ConnectionImpl::Create(
        shard, fd, PeerAddressOf(fd), copts,
        [weak](const ConnectionImplPtr& c, remoting::Command&& cmd) {
          auto self = weak.lock();
          if (self) self->OnCommand(c, std::move(cmd));
        },
        [weak](const ConnectionImplPtr& c, const Status&) {
          if (auto self = weak.lock()) self->OnClosed(c);
        });
    mine.conns.emplace(conn->id(), conn);
    conn->StartAccepted();
  }

  void OnCommand(const ConnectionImplPtr& conn, remoting::Command&& cmd) {
    const ConnectionPtr as_conn = conn;
    if (cmd.is_response()) {
      if (hooks.on_response) {
        hooks.on_response(as_conn, std::move(cmd));
      } else {
        MQ_LOG_DEBUG("server: dropping response opaque {} from {}", cmd.opaque, conn->peer_address());
      }
      return;
    }
    table->Dispatch(as_conn, std::move(cmd));
  }

  void OnClosed(const ConnectionImplPtr& conn) {
    per_shard[conn->shard_id()].conns.erase(conn->id());
    if (hooks.on_close) hooks.on_close(conn);
  }

  // On each shard, in order: marks it stopped, closes its connections, reports.
  void StopLocal() {
    runtime::Shard& shard = *runtime::CurrentShard();
    PerShard& mine = per_shard[shard.id()];
    mine.stopped = true;
    std::vector<ConnectionImplPtr> conns;
    conns.reserve(mine.conns.size());
    for (auto& [id, c] : mine.conns) conns.push_back(c);
    for (auto& c : conns) c->Close();
    MQ_ASSERT(mine.conns.empty());
    std::lock_guard<std::mutex> lock(stop_mu);
    ++stopped_shards;
    stop_cv.notify_all();
  }

  // Shard 0: closes the listener, then asks every other shard to stop through the same rings
  // that carried the hand-offs, so no connection is adopted after its shard stopped.
  void StopFromShard0() {
    runtime::Shard& shard = *runtime::CurrentShard();
    MQ_ASSERT(shard.id() == 0);
    if (listen_fd >= 0) shard.backend().Close(listen_fd);
    listen_fd = -1;
    StopLocal();
    for (uint32_t k = 1; k < shards.size(); ++k) SubmitStop(k);
  }

  void SubmitStop(uint32_t k) {
    auto self = shared_from_this();
    if (!shards.SubmitTo(k, [self] { self->StopLocal(); })) {
      runtime::CurrentShard()->RunAfter(1, [self, k] { self->SubmitStop(k); });  // ring full: retry
    }
  }
};

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}
  ~ServerImpl() override { Stop(); }

  uint16_t port() const override { return state_->port; }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    MQ_ASSERT_MSG(runtime::CurrentShard() == nullptr, "Server::Stop waits: call it from a control thread");
    auto state = state_;
    if (!state->shards.SubmitTo(0, [state] { state->StopFromShard0(); })) {
      // The shards' backends closed the listener (and every connection) when they shut down.
      MQ_LOG_WARN("server on port {}: shards already stopped", state->port);
      return;
    }
    std::unique_lock<std::mutex> lock(state->stop_mu);
    if (!state->stop_cv.wait_for(lock, kStopTimeout,
                                 [&] { return state->stopped_shards == state->shards.size(); })) {
      MQ_LOG_WARN("server on port {}: shards did not confirm stop within 10 s", state->port);
    }
  }

 private:
  std::shared_ptr<ServerState> state_;
  bool stopped_ = false;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(runtime::ShardSet& shards, const ServerOptions& options,
                                              const ProcessorTable* table, ServerHooks hooks) {
  MQ_ASSERT(table != nullptr);
  MQ_ASSERT(shards.size() > 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options.port);
  const std::string host = options.host.empty() ? "0.0.0.0" : options.host;
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::SystemError("server: bad listen host '" + host + "' (an IPv4 literal is required)");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::SystemError(std::string("server: socket failed: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const std::string where = host + ":" + std::to_string(options.port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, kListenBacklog) != 0) {
    const int e = errno;
    ::close(fd);
    return Status::SystemError("server: cannot listen on " + where + ": " + std::strerror(e));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto state = std::make_shared<ServerState>(shards, options, table, std::move(hooks));
  state->listen_fd = fd;
  state->port = ntohs(addr.sin_port);
  if (!shards.SubmitTo(0, [state] { state->shards.shard(0).backend().Accept(state->listen_fd, state.get()); })) {
    ::close(fd);
    return Status::SystemError("server: shard 0 is not accepting work");
  }
  MQ_LOG_INFO("server listening on {}:{} ({} shards)", host, state->port, shards.size());
  return std::unique_ptr<Server>(new ServerImpl(std::move(state)));
}

}  // namespace mq::net
