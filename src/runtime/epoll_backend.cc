// IoBackend over level-triggered epoll and nonblocking sockets: the fallback where io_uring cannot
// be set up. Owned by one shard thread (every method but Wake() runs there).
//
// Each registered fd has a state record carrying a generation; epoll events carry (generation, fd)
// so an event for an fd closed (and maybe reused by a new accept) earlier in the same epoll_wait
// batch is recognised and dropped. Operations that finish synchronously (a sendmsg that wrote,
// a connect that completed at once, any immediate error) are queued as completions and delivered
// from the next Poll, so callbacks never run inside the call that started the operation — the
// same shape as io_uring, which completes everything from the wait.
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/assert.h"
#include "runtime/io_backend.h"

namespace mq::runtime {
namespace {

constexpr int kMaxEventsPerWait = 256;
constexpr size_t kRecvBufferBytes = 64 * 1024;
constexpr int kMaxReadsPerEvent = 4;     // then yield to other fds; level-triggered brings us back
constexpr int kMaxAcceptsPerEvent = 64;
constexpr uint32_t kWakeFdGeneration = 0;  // real fds get generations >= 1

void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

void SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

uint64_t PackKey(uint32_t gen, int fd) { return (static_cast<uint64_t>(gen) << 32) | static_cast<uint32_t>(fd); }

class EpollBackend final : public IoBackend {
 public:
  EpollBackend(int epfd, int wakefd) : epfd_(epfd), wakefd_(wakefd), recv_buf_(kRecvBufferBytes) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = PackKey(kWakeFdGeneration, wakefd_);
    MQ_ASSERT(::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) == 0);
  }
  ~EpollBackend() override {
    for (auto& [fd, st] : fds_) ::close(fd);
    ::close(wakefd_);
    ::close(epfd_);
  }

  const char* name() const override { return "epoll"; }

  void Accept(int listen_fd, AcceptSink* sink) override {
    FdState& st = StateOf(listen_fd);
    MQ_ASSERT(st.accept == nullptr);
    st.accept = sink;
    UpdateInterest(listen_fd, st);
  }

  void Recv(int fd, RecvSink* sink) override {
    FdState& st = StateOf(fd);
    MQ_ASSERT_MSG(st.recv == nullptr, "one Recv per fd");
    st.recv = sink;
    UpdateInterest(fd, st);
  }

  void SendMsg(int fd, const struct iovec* iov, size_t iov_count, SendSink* sink) override {
    FdState& st = StateOf(fd);
    MQ_ASSERT_MSG(st.send == nullptr, "one send in flight per fd");
    MQ_ASSERT(iov_count > 0 && iov_count <= IOV_MAX);
    st.send = sink;
    st.send_iov = iov;
    st.send_iov_count = iov_count;
    const ssize_t n = TrySend(fd, st);
    if (n == -EAGAIN) {
      UpdateInterest(fd, st);  // wait for EPOLLOUT
      return;
    }
    st.send = nullptr;
    completions_.push_back(Completion{fd, st.gen, Completion::kSend, n, sink});
  }

  void Connect(int fd, const struct sockaddr* addr, socklen_t addr_len, ConnectSink* sink) override {
    FdState& st = StateOf(fd);
    MQ_ASSERT(st.connect == nullptr);
    int rc;
    do {
      rc = ::connect(fd, addr, addr_len);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno == EINPROGRESS) {
      st.connect = sink;
      UpdateInterest(fd, st);
      return;
    }
    completions_.push_back(Completion{fd, st.gen, Completion::kConnect, rc == 0 ? 0 : errno, sink});
  }

  void Close(int fd) override {
    auto it = fds_.find(fd);
    if (it != fds_.end()) {
      if (it->second.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
      fds_.erase(it);  // pending completions and batched events no longer find (fd, gen)
    }
    ::close(fd);
  }

  void Poll(int64_t timeout_ms) override {
    // Completions already in hand (mostly sends that went out at once) are delivered without an
    // epoll_wait: the caller loops and comes back. Every other call does wait, so a steady stream
    // of completions cannot starve the sockets.
    if (!completions_.empty() && !skipped_wait_) {
      skipped_wait_ = true;
      RunCompletions();
      return;
    }
    skipped_wait_ = false;
    if (!completions_.empty()) timeout_ms = 0;
    int wait_ms = timeout_ms < 0 ? -1 : static_cast<int>(std::min<int64_t>(timeout_ms, 1 << 30));
    if (wait_ms != 0) {
      // Dekker pairing with Wake(): either Wake sees parked_ and writes the eventfd, or we see
      // wake_requested_ and do not block.
      parked_.store(true, std::memory_order_seq_cst);
      if (wake_requested_.load(std::memory_order_seq_cst)) wait_ms = 0;
    }
    epoll_event events[kMaxEventsPerWait];
    const int n = ::epoll_wait(epfd_, events, kMaxEventsPerWait, wait_ms);
    parked_.store(false, std::memory_order_seq_cst);
    wake_requested_.store(false, std::memory_order_seq_cst);
    MQ_ASSERT_MSG(n >= 0 || errno == EINTR, "epoll_wait failed");
    for (int i = 0; i < n; ++i) Dispatch(events[i]);
    RunCompletions();
  }

  void Wake() override {
    wake_requested_.store(true, std::memory_order_seq_cst);
    if (parked_.exchange(false, std::memory_order_seq_cst)) {
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t rc = ::write(wakefd_, &one, sizeof(one));  // EAGAIN: already signalled
    }
  }

 private:
  struct FdState {
    uint32_t gen = 0;
    bool registered = false;
    uint32_t events = 0;
    AcceptSink* accept = nullptr;
    RecvSink* recv = nullptr;
    SendSink* send = nullptr;
    ConnectSink* connect = nullptr;
    const struct iovec* send_iov = nullptr;
    size_t send_iov_count = 0;
  };
  struct Completion {
    enum Kind { kSend, kConnect };
    int fd;
    uint32_t gen;
    Kind kind;
    ssize_t result;
    void* sink;
    Completion(int f, uint32_t g, Kind k, ssize_t r, void* s) : fd(f), gen(g), kind(k), result(r), sink(s) {}
  };

  FdState& StateOf(int fd) {
    MQ_ASSERT(fd >= 0);
    auto [it, inserted] = fds_.try_emplace(fd);
    if (inserted) {
      it->second.gen = next_gen_++;
      if (next_gen_ == kWakeFdGeneration) next_gen_ = 1;
      SetNonBlocking(fd);
    }
    return it->second;
  }

  FdState* Lookup(int fd, uint32_t gen) {
    auto it = fds_.find(fd);
    return it != fds_.end() && it->second.gen == gen ? &it->second : nullptr;
  }

  void UpdateInterest(int fd, FdState& st) {
    uint32_t want = 0;
    if (st.accept != nullptr || st.recv != nullptr) want |= EPOLLIN;
    if (st.send != nullptr || st.connect != nullptr) want |= EPOLLOUT;
    if (want == st.events && st.registered == (want != 0)) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = PackKey(st.gen, fd);
    int rc = 0;
    if (want == 0) {
      // Deregister entirely: an unwatched fd would still report EPOLLHUP and spin the loop.
      if (st.registered) rc = ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
      st.registered = false;
    } else if (st.registered) {
      rc = ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
    } else {
      rc = ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
      st.registered = true;
    }
    MQ_ASSERT_MSG(rc == 0, "epoll_ctl failed");
    st.events = want;
  }

  ssize_t TrySend(int fd, const FdState& st) {
    msghdr msg{};
    msg.msg_iov = const_cast<struct iovec*>(st.send_iov);
    msg.msg_iovlen = st.send_iov_count;
    ssize_t n;
    do {
      n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) return n;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }

  void Dispatch(const epoll_event& ev) {
    const int fd = static_cast<int>(ev.data.u64 & 0xffffffffu);
    const uint32_t gen = static_cast<uint32_t>(ev.data.u64 >> 32);
    if (gen == kWakeFdGeneration) {
      uint64_t count;
      [[maybe_unused]] ssize_t rc = ::read(wakefd_, &count, sizeof(count));
      return;
    }
    const bool err = (ev.events & (EPOLLERR | EPOLLHUP)) != 0;
    if ((ev.events & EPOLLOUT) || err) HandleWritable(fd, gen);
    if ((ev.events & EPOLLIN) || err) HandleReadable(fd, gen);
  }

  void HandleWritable(int fd, uint32_t gen) {
    FdState* st = Lookup(fd, gen);
    if (st == nullptr) return;
    if (st->connect != nullptr) {
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0) so_error = errno;
      ConnectSink* sink = st->connect;
      st->connect = nullptr;
      UpdateInterest(fd, *st);
      sink->OnConnect(so_error);
      st = Lookup(fd, gen);
      if (st == nullptr) return;
    }
    if (st->send != nullptr) {
      const ssize_t n = TrySend(fd, *st);
      if (n == -EAGAIN) return;
      SendSink* sink = st->send;
      st->send = nullptr;
      UpdateInterest(fd, *st);
      sink->OnSendDone(n);
    }
  }

  void HandleReadable(int fd, uint32_t gen) {
    FdState* st = Lookup(fd, gen);
    if (st == nullptr) return;
    if (st->accept != nullptr) {
      for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
        const int cfd = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
          const int e = errno;
          st->accept->OnAcceptError(e);
          return;  // EMFILE and friends: try again on the next event rather than spin here
        }
        st->accept->OnAccept(cfd);
        st = Lookup(fd, gen);
        if (st == nullptr || st->accept == nullptr) return;
      }
      return;
    }
    for (int i = 0; i < kMaxReadsPerEvent && st != nullptr && st->recv != nullptr; ++i) {
      ssize_t n;
      do {
        n = ::recv(fd, recv_buf_.data(), recv_buf_.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      RecvSink* sink = st->recv;
      if (n <= 0) {
        const int e = n == 0 ? 0 : errno;
        st->recv = nullptr;
        UpdateInterest(fd, *st);
        sink->OnRecvClosed(e);
        return;
      }
      sink->OnRecv(recv_buf_.data(), static_cast<size_t>(n));
      if (static_cast<size_t>(n) < recv_buf_.size()) return;  // socket drained
      st = Lookup(fd, gen);
    }
  }

  void RunCompletions() {
    if (completions_.empty()) return;
    std::vector<Completion> batch;
    batch.swap(completions_);  // completions queued by these callbacks wait for the next Poll
    for (const Completion& c : batch) {
      if (Lookup(c.fd, c.gen) == nullptr) continue;  // closed meanwhile: no callback
      if (c.kind == Completion::kSend) {
        static_cast<SendSink*>(c.sink)->OnSendDone(c.result);
      } else {
        static_cast<ConnectSink*>(c.sink)->OnConnect(static_cast<int>(c.result));
      }
    }
  }

  const int epfd_;
  const int wakefd_;
  std::vector<uint8_t> recv_buf_;  // shared by every connection of the shard
  std::unordered_map<int, FdState> fds_;
  std::vector<Completion> completions_;
  uint32_t next_gen_ = 1;
  bool skipped_wait_ = false;  // the previous Poll only delivered completions
  std::atomic<bool> parked_{false};
  std::atomic<bool> wake_requested_{false};
};

}  // namespace

Result<std::unique_ptr<IoBackend>> CreateEpollBackend() {
  IgnoreSigpipeOnce();
  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return Status::SystemError(std::string("epoll_create1 failed: ") + std::strerror(errno));
  const int wakefd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd < 0) {
    const int e = errno;
    ::close(epfd);
    return Status::SystemError(std::string("eventfd failed: ") + std::strerror(e));
  }
  return std::unique_ptr<IoBackend>(new EpollBackend(epfd, wakefd));
}

}  // namespace mq::runtime
