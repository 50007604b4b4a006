#include "net/blocking_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "net/connection_impl.h"

namespace mq::net {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits for `events` on fd until deadline_ms; returns 1 ready, 0 timeout, -errno.
int WaitFd(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    const int64_t left_ms = deadline_ms - NowMs();
    if (left_ms <= 0) return 0;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left_ms));
    if (rc > 0) return 1;
    if (rc < 0 && errno != EINTR) return -errno;
  }
}

}  // namespace

Result<std::unique_ptr<BlockingClient>> BlockingClient::Connect(const std::string& addr, uint64_t timeout_ms,
                                                                remoting::FrameLimits limits) {
  auto sa = ParseSocketAddress(addr);
  if (!sa.ok()) return sa.status();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::SystemError(std::string("socket failed: ") + std::strerror(errno));
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa.value()), sizeof(sockaddr_in));
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    const int ready = WaitFd(fd, POLLOUT, NowMs() + static_cast<int64_t>(timeout_ms));
    if (ready == 0) {
      ::close(fd);
      return Status::SystemError("connect to " + addr + " timed out after " + std::to_string(timeout_ms) + " ms");
    }
    socklen_t len = sizeof(err);
    if (ready < 0) err = -ready;
    else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  }
  if (err != 0) {
    ::close(fd);
    return Status::SystemError("connect to " + addr + " failed: " + std::strerror(err));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::unique_ptr<BlockingClient>(new BlockingClient(fd, addr, limits));
}

BlockingClient::BlockingClient(int fd, std::string addr, remoting::FrameLimits limits)
    : fd_(fd), addr_(std::move(addr)), decoder_(limits) {}

BlockingClient::~BlockingClient() { ::close(fd_); }

Status BlockingClient::SendRaw(std::string_view bytes, uint64_t timeout_ms) {
  const int64_t deadline_ms = NowMs() + static_cast<int64_t>(timeout_ms);
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int ready = WaitFd(fd_, POLLOUT, deadline_ms);
      if (ready == 0) return Status::SystemError("send to " + addr_ + " timed out");
      if (ready < 0) return Status::SystemError("send to " + addr_ + " failed: " + std::strerror(-ready));
      continue;
    }
    return Status::SystemError("send to " + addr_ + " failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

Status BlockingClient::Send(const remoting::Command& command, uint64_t timeout_ms) {
  std::string frame;
  remoting::EncodeFrame(command, frame);
  return SendRaw(frame, timeout_ms);
}

Result<size_t> BlockingClient::ReadSome(uint64_t timeout_ms, char* buf, size_t cap) {
  const int64_t deadline_ms = NowMs() + static_cast<int64_t>(timeout_ms);
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, cap, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::SystemError("read from " + addr_ + " failed: " + std::strerror(errno));
    }
    const int ready = WaitFd(fd_, POLLIN, deadline_ms);
    if (ready == 0) return Status::SystemError("read from " + addr_ + " timed out");
    if (ready < 0) return Status::SystemError("read from " + addr_ + " failed: " + std::strerror(-ready));
  }
}

Result<remoting::Command> BlockingClient::ReadFrame(uint64_t timeout_ms) {
  const int64_t deadline_ms = NowMs() + static_cast<int64_t>(timeout_ms);
  std::vector<remoting::Command> decoded;
  char buf[64 * 1024];
  while (ready_.empty()) {
    const int64_t left_ms = deadline_ms - NowMs();
    if (left_ms <= 0) return Status::SystemError("read from " + addr_ + " timed out");
    auto n = ReadSome(static_cast<uint64_t>(left_ms), buf, sizeof(buf));
    if (!n.ok()) return n.status();
    if (n.value() == 0) return Status::SystemError("connection to " + addr_ + " closed by peer");
    Status st = decoder_.Feed(reinterpret_cast<const uint8_t*>(buf), n.value(), decoded);
    for (auto& c : decoded) ready_.push_back(std::move(c));
    decoded.clear();
    if (!st.ok() && ready_.empty()) return st;
  }
  remoting::Command out = std::move(ready_.front());
  ready_.pop_front();
  return out;
}

Result<remoting::Command> BlockingClient::Invoke(remoting::Command request, uint64_t timeout_ms) {
  const int64_t deadline_ms = NowMs() + static_cast<int64_t>(timeout_ms);
  request.opaque = NextOpaque();
  request.flag &= ~(remoting::kFlagResponse | remoting::kFlagOneway);
  Status sent = Send(request, timeout_ms);
  if (!sent.ok()) return sent;
  for (;;) {
    const int64_t left_ms = deadline_ms - NowMs();
    if (left_ms <= 0) {
      return Status::SystemError("request code " + std::to_string(request.code) + " to " + addr_ +
                                 " timed out after " + std::to_string(timeout_ms) + " ms");
    }
    auto frame = ReadFrame(static_cast<uint64_t>(left_ms));
    if (!frame.ok()) return frame.status();
    if (frame->is_response() && frame->opaque == request.opaque) return frame;
  }
}

bool BlockingClient::WaitForClose(uint64_t timeout_ms) {
  const int64_t deadline_ms = NowMs() + static_cast<int64_t>(timeout_ms);
  char buf[4096];
  for (;;) {
    const int64_t left_ms = deadline_ms - NowMs();
    if (left_ms <= 0) return false;
    auto n = ReadSome(static_cast<uint64_t>(left_ms), buf, sizeof(buf));
    if (!n.ok()) return n.status().remark().find("timed out") == std::string::npos;  // reset counts
    if (n.value() == 0) return true;
  }
}

}  // namespace mq::net
