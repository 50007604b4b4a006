#include "net/connection_impl.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <iterator>

#include "base/assert.h"
#include "base/log.h"

namespace mq::net {
namespace {

std::atomic<uint64_t> g_next_connection_id{1};
// After Close() with a send in flight, an io_uring kernel op may still read the frames until its
// cancellation completes: keep them alive this long.
constexpr uint64_t kInflightGraceMs = 2000;
constexpr size_t kMaxIovPerSend = IOV_MAX;

}  // namespace

std::string PeerAddressOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sin_family != AF_INET) return "?";
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

Result<sockaddr_in> ParseSocketAddress(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == addr.size()) {
    return Status::SystemError("bad address '" + addr + "' (expected ip:port)");
  }
  std::string host = addr.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  const std::string port_text = addr.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535) return Status::SystemError("bad port in address '" + addr + "'");
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &out.sin_addr) != 1) {
    return Status::SystemError("bad host in address '" + addr + "' (an IPv4 literal is required)");
  }
  return out;
}

ConnectionImplPtr ConnectionImpl::Create(runtime::Shard& shard, int fd, std::string peer_address,
                                         const ConnectionOptions& options, CommandHandler on_command,
                                         CloseHandler on_close) {
  return ConnectionImplPtr(new ConnectionImpl(shard, fd, std::move(peer_address), options, std::move(on_command),
                                              std::move(on_close)));
}

ConnectionImpl::ConnectionImpl(runtime::Shard& shard, int fd, std::string peer, const ConnectionOptions& options,
                               CommandHandler on_command, CloseHandler on_close)
    : shard_(shard), backend_(shard.backend()), id_(g_next_connection_id.fetch_add(1, std::memory_order_relaxed)),
      fd_(fd), peer_(std::move(peer)), options_(options), on_command_(std::move(on_command)),
      on_close_(std::move(on_close)), decoder_(options.limits), last_activity_ms_(shard.now_ms()) {
  MQ_ASSERT(fd >= 0);
  AssertOnShard();
}

ConnectionImpl::~ConnectionImpl() {
  // Dropped without Close(): release the socket quietly (no handler can take a shared_ptr now).
  // Off the shard (the shards were stopped first) the backend already owns and closes the fd.
  if (!closed_ && runtime::CurrentShard() == &shard_) {
    if (idle_timer_ != 0) shard_.Cancel(idle_timer_);
    if (connect_timer_ != 0) shard_.Cancel(connect_timer_);
    backend_.Close(fd_);
  }
}

void ConnectionImpl::AssertOnShard() const {
  MQ_ASSERT_MSG(runtime::CurrentShard() == &shard_, "connection used off its owning shard");
}

void ConnectionImpl::StartAccepted() {
  AssertOnShard();
  MQ_ASSERT(!connected_ && !closed_);
  connected_ = true;
  backend_.Recv(fd_, this);
  if (options_.idle_timeout_ms > 0) ArmIdleTimer(options_.idle_timeout_ms);
}

void ConnectionImpl::StartConnect(const sockaddr_in& addr, uint64_t connect_timeout_ms) {
  AssertOnShard();
  MQ_ASSERT(!connected_ && !closed_);
  std::weak_ptr<ConnectionImpl> weak = weak_from_this();
  connect_timer_ = shard_.RunAfter(connect_timeout_ms, [weak, connect_timeout_ms] {
    if (auto self = weak.lock()) {
      self->connect_timer_ = 0;
      self->CloseWithReason(Status::SystemError("connect to " + self->peer_ + " timed out after " +
                                                std::to_string(connect_timeout_ms) + " ms"));
    }
  });
  backend_.Connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr), this);
}

void ConnectionImpl::OnConnect(int err) {
  if (closed_) return;
  if (connect_timer_ != 0) shard_.Cancel(connect_timer_);
  connect_timer_ = 0;
  if (err != 0) {
    CloseWithReason(Status::SystemError("connect to " + peer_ + " failed: " + std::strerror(err)));
    return;
  }
  connected_ = true;
  last_activity_ms_ = shard_.now_ms();
  backend_.Recv(fd_, this);
  if (options_.idle_timeout_ms > 0) ArmIdleTimer(options_.idle_timeout_ms);
  ScheduleFlush();
}

bool ConnectionImpl::Admit(size_t bytes) {
  queued_bytes_ += bytes;
  if (queued_bytes_ + inflight_bytes_ > options_.max_write_queue_bytes) {
    MQ_LOG_WARN("closing connection to {}: write queue over {} bytes (the peer is not reading)", peer_,
                options_.max_write_queue_bytes);
    CloseWithReason(Status::SystemError("write queue to " + peer_ + " overflowed"));
    return false;
  }
  return true;
}

void ConnectionImpl::Send(const remoting::Command& command) {
  AssertOnShard();
  if (closed_) return;
  std::string frame;
  remoting::EncodeFrame(command, frame);
  MQ_ASSERT(frame.size() >= 8);
  if (!Admit(frame.size())) return;
  queued_.push_back(Chunk{std::move(frame), {}});
  ScheduleFlush();
}

void ConnectionImpl::SendWithBody(const remoting::Command& header_only, std::vector<BodySlice> body) {
  AssertOnShard();
  MQ_ASSERT_MSG(header_only.body.empty(), "SendWithBody: the body travels as slices");
  if (closed_) return;
  size_t body_bytes = 0;
  for (const BodySlice& s : body) body_bytes += s.size;
  std::string prefix;
  remoting::EncodeFramePrefix(header_only, body_bytes, prefix);
  MQ_ASSERT(prefix.size() >= 8);
  if (!Admit(prefix.size() + body_bytes)) return;
  queued_.push_back(Chunk{std::move(prefix), {}});
  Chunk* last = nullptr;
  for (BodySlice& s : body) {
    if (s.size == 0) continue;
    MQ_ASSERT(s.data != nullptr);
    // Contiguous bytes of the same pinned object (consecutive records of one segment): one iovec.
    if (last != nullptr && last->borrowed.data + last->borrowed.size == s.data &&
        last->borrowed.keepalive == s.keepalive) {
      last->borrowed.size += s.size;
      continue;
    }
    queued_.push_back(Chunk{{}, std::move(s)});
    last = &queued_.back();
  }
  ScheduleFlush();
}

void ConnectionImpl::ScheduleFlush() {
  if (flush_scheduled_ || send_in_flight_ || !connected_ || closed_ || queued_.empty()) return;
  flush_scheduled_ = true;
  shard_.Defer([self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->Flush();
  });
}

void ConnectionImpl::Flush() {
  if (closed_ || send_in_flight_ || !connected_ || queued_.empty()) return;
  MQ_ASSERT(inflight_.empty());
  const size_t take = std::min(queued_.size(), kMaxIovPerSend);
  inflight_.assign(std::make_move_iterator(queued_.begin()), std::make_move_iterator(queued_.begin() + take));
  queued_.erase(queued_.begin(), queued_.begin() + take);
  iov_.clear();
  inflight_bytes_ = 0;
  for (const Chunk& chunk : inflight_) {
    iov_.push_back(iovec{const_cast<uint8_t*>(chunk.data()), chunk.size()});
    inflight_bytes_ += chunk.size();
  }
  MQ_ASSERT(queued_bytes_ >= inflight_bytes_);
  queued_bytes_ -= inflight_bytes_;
  iov_pos_ = 0;
  SubmitInflight();
}

void ConnectionImpl::SubmitInflight() {
  MQ_ASSERT(iov_pos_ < iov_.size());
  send_in_flight_ = true;
  backend_.SendMsg(fd_, iov_.data() + iov_pos_, iov_.size() - iov_pos_, this);
}

void ConnectionImpl::OnSendDone(ssize_t result) {
  if (closed_) return;
  MQ_ASSERT(send_in_flight_);
  send_in_flight_ = false;
  if (result < 0) {
    CloseWithReason(Status::SystemError("send to " + peer_ + " failed: " + std::strerror(static_cast<int>(-result))));
    return;
  }
  last_activity_ms_ = shard_.now_ms();
  size_t sent = static_cast<size_t>(result);
  MQ_ASSERT(sent <= inflight_bytes_);
  inflight_bytes_ -= sent;
  while (sent > 0) {
    iovec& v = iov_[iov_pos_];
    const size_t step = std::min(sent, v.iov_len);
    v.iov_base = static_cast<uint8_t*>(v.iov_base) + step;
    v.iov_len -= step;
    sent -= step;
    if (v.iov_len == 0) ++iov_pos_;
  }
  if (iov_pos_ < iov_.size()) {
    SubmitInflight();  // short send: the rest of the same batch first, order preserved
    return;
  }
  MQ_ASSERT(inflight_bytes_ == 0);
  inflight_.clear();
  Flush();  // whatever was queued while this send was in flight, in one go
}

void ConnectionImpl::OnRecv(const uint8_t* data, size_t size_bytes) {
  if (closed_) return;
  last_activity_ms_ = shard_.now_ms();
  Status status = decoder_.Feed(data, size_bytes, decoded_);
  if (!decoded_.empty()) {
    ConnectionImplPtr self = shared_from_this();  // a handler may drop the owner's reference
    std::vector<remoting::Command> batch;
    batch.swap(decoded_);
    for (remoting::Command& cmd : batch) {
      if (closed_ || !on_command_) break;
      on_command_(self, std::move(cmd));
    }
    batch.clear();
    if (decoded_.empty()) decoded_.swap(batch);  // keep the capacity
  }
  if (!status.ok() && !closed_) {
    MQ_LOG_WARN("closing connection {} to {}: malformed frame: {}", id_, peer_, status.remark());
    CloseWithReason(Status::SystemError("malformed frame from " + peer_ + ": " + status.remark()));
  }
}

void ConnectionImpl::OnRecvClosed(int err) {
  if (closed_) return;
  CloseWithReason(err == 0 ? Status::SystemError("connection to " + peer_ + " closed by peer")
                           : Status::SystemError("connection to " + peer_ + " failed: " + std::strerror(err)));
}

void ConnectionImpl::Close() { CloseWithReason(Status::SystemError("connection to " + peer_ + " closed locally")); }

void ConnectionImpl::CloseWithReason(const Status& reason) {
  AssertOnShard();
  if (closed_) return;
  ConnectionImplPtr self = shared_from_this();
  closed_ = true;
  connected_ = false;
  backend_.Close(fd_);  // no callback for fd_ runs after this
  fd_ = -1;
  if (idle_timer_ != 0) shard_.Cancel(idle_timer_);
  if (connect_timer_ != 0) shard_.Cancel(connect_timer_);
  idle_timer_ = connect_timer_ = 0;
  if (send_in_flight_) {
    shard_.RunAfter(kInflightGraceMs, [frames = std::move(inflight_)] {});
    send_in_flight_ = false;
  }
  inflight_.clear();
  queued_.clear();
  iov_.clear();
  queued_bytes_ = inflight_bytes_ = 0;
  on_command_ = nullptr;
  CloseHandler on_close = std::move(on_close_);
  on_close_ = nullptr;
  if (on_close) on_close(self, reason);
}

void ConnectionImpl::ArmIdleTimer(uint64_t delay_ms) {
  std::weak_ptr<ConnectionImpl> weak = weak_from_this();
  idle_timer_ = shard_.RunAfter(delay_ms, [weak] {
    if (auto self = weak.lock()) {
      self->idle_timer_ = 0;
      self->OnIdleTimer();
    }
  });
}

void ConnectionImpl::OnIdleTimer() {
  if (closed_) return;
  const int64_t idle_ms = shard_.now_ms() - last_activity_ms_;
  const auto limit_ms = static_cast<int64_t>(options_.idle_timeout_ms);
  if (idle_ms >= limit_ms && !send_in_flight_) {
    MQ_LOG_INFO("closing connection {} to {}: idle for {} ms", id_, peer_, idle_ms);
    CloseWithReason(Status::SystemError("connection to " + peer_ + " closed after " + std::to_string(idle_ms) +
                                        " ms idle"));
    return;
  }
  ArmIdleTimer(static_cast<uint64_t>(std::max<int64_t>(1, limit_ms - idle_ms)));
}

}  // namespace mq::net
