// Per-shard I/O multiplexer: the only code that talks to io_uring or epoll. Completion style, so
// both backends look the same to the net layer. Every method is called on the owning shard's
// thread, except Wake(), which any thread may call.
//
// Lifetime contract: a sink passed to Accept/Recv/SendMsg/Connect must stay valid until the
// backend has delivered the op's final callback or until Close(fd) returns; after Close(fd) no
// callback for that fd runs again, and the backend closes the fd itself once the kernel has
// released it (io_uring: after the cancelled ops completed).
#pragma once
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace mq::runtime {

struct AcceptSink {
  virtual ~AcceptSink() = default;
  virtual void OnAccept(int fd) = 0;        // a connected socket, close-on-exec, owned by the callee
  virtual void OnAcceptError(int err) = 0;  // positive errno; the backend keeps accepting if it can
};

struct RecvSink {
  virtual ~RecvSink() = default;
  // Bytes are valid only during the call (they may live in a provided buffer going back to the pool).
  virtual void OnRecv(const uint8_t* data, size_t size_bytes) = 0;
  // Receiving stopped: err 0 = orderly EOF, else a positive errno. No OnRecv follows.
  virtual void OnRecvClosed(int err) = 0;
};

struct SendSink {
  virtual ~SendSink() = default;
  // result > 0: bytes sent (may be fewer than asked: the caller resubmits the rest);
  // result < 0: -errno (EPIPE, ECONNRESET, ...).
  virtual void OnSendDone(ssize_t result) = 0;
};

struct ConnectSink {
  virtual ~ConnectSink() = default;
  virtual void OnConnect(int err) = 0;  // 0 = connected, else a positive errno
};

class IoBackend {
 public:
  virtual ~IoBackend() = default;
  virtual const char* name() const = 0;

  // Keeps accepting on the listening socket until Close(listen_fd).
  virtual void Accept(int listen_fd, AcceptSink* sink) = 0;
  // Keeps receiving on fd until EOF, error or Close(fd).
  virtual void Recv(int fd, RecvSink* sink) = 0;
  // One send in flight per fd: the caller queues the rest. iov and the memory it points to must
  // stay valid until OnSendDone.
  virtual void SendMsg(int fd, const struct iovec* iov, size_t iov_count, SendSink* sink) = 0;
  // fd is a fresh non-connected socket.
  virtual void Connect(int fd, const struct sockaddr* addr, socklen_t addr_len, ConnectSink* sink) = 0;
  // Stops every op on fd, guarantees no further callbacks for it, and closes it.
  virtual void Close(int fd) = 0;

  // Submits pending work and waits for completions up to timeout_ms (0 = don't block, <0 = no
  // limit), running their callbacks. Returns early when Wake() is called.
  virtual void Poll(int64_t timeout_ms) = 0;
  // Thread-safe: makes a blocked Poll return soon. Cheap when the owner is not blocked.
  virtual void Wake() = 0;
};

// Creates a backend on the calling thread (io_uring rings are SINGLE_ISSUER: create them on the
// shard thread that will use them).
Result<std::unique_ptr<IoBackend>> CreateUringBackend();
Result<std::unique_ptr<IoBackend>> CreateEpollBackend();
// Start-up diagnosis: can io_uring with the features we need be set up here? Returns OK, or an
// error whose remark says why not and how to fix it (seccomp, io_uring_disabled, RLIMIT_MEMLOCK).
Status ProbeUring();

}  // namespace mq::runtime
