// The io_uring backend driven directly (no shards): loopback only, every wait bounded.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/uring_backend.h"

namespace mq::runtime {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Polls until pred() or the deadline; returns pred().
bool PollUntil(IoBackend& b, const std::function<bool()>& pred, int64_t limit_ms = 5000) {
  const auto start = Clock::now();
  while (!pred() && MsSince(start) < limit_ms) b.Poll(10);
  return pred();
}

int Listener(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(listen(fd, 512) == 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int BlockingConnect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(port);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  return fd;
}

bool ReadExact(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

uint8_t Pattern(size_t i) { return static_cast<uint8_t>((i * 131 + (i >> 13)) & 0xff); }

// Server-side connection: echoes what it receives, one send in flight, remainder resubmitted.
struct EchoConn : RecvSink, SendSink {
  IoBackend* b;
  int fd;
  std::deque<uint8_t> out;
  std::vector<uint8_t> inflight;
  iovec iov{};
  bool sending = false, closed = false;
  int close_err = -1;
  uint64_t received = 0;

  EchoConn(IoBackend* backend, int f) : b(backend), fd(f) {}
  void OnRecv(const uint8_t* data, size_t n) override {
    received += n;
    out.insert(out.end(), data, data + n);
    Pump();
  }
  void OnRecvClosed(int err) override {
    closed = true;
    close_err = err;
  }
  void Pump() {
    if (sending || out.empty()) return;
    inflight.assign(out.begin(), out.end());
    out.clear();
    iov = {inflight.data(), inflight.size()};
    sending = true;
    b->SendMsg(fd, &iov, 1, this);
  }
  void OnSendDone(ssize_t r) override {
    sending = false;
    REQUIRE(r > 0);
    out.insert(out.begin(), inflight.begin() + r, inflight.end());
    Pump();
  }
};

struct EchoServer : AcceptSink {
  IoBackend* b;
  std::vector<std::unique_ptr<EchoConn>> conns;
  int accept_errors = 0;
  explicit EchoServer(IoBackend* backend) : b(backend) {}
  void OnAccept(int fd) override {
    conns.push_back(std::make_unique<EchoConn>(b, fd));
    b->Recv(fd, conns.back().get());
  }
  void OnAcceptError(int) override { ++accept_errors; }
};

std::unique_ptr<IoBackend> MakeBackend(const UringOptions& o = UringOptions{}) {
  auto r = CreateUringBackend(o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.status().remark()));
  return std::move(r.value());
}

TEST_CASE("ProbeUring succeeds here and is cheap") {
  const auto start = Clock::now();
  Status st = ProbeUring();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  MESSAGE("ProbeUring took " << us << " us: " << (st.ok() ? "ok" : st.remark()));
  CHECK(st.ok());
  CHECK(us < 50'000);  // target < 10 ms; slack for a loaded CI VM
}

TEST_CASE("echo over loopback, one and many connections") {
  auto b = MakeBackend();
  CHECK((GetUringStats(*b).setup_flags & IORING_SETUP_DEFER_TASKRUN) != 0);
  uint16_t port;
  int lfd = Listener(&port);
  EchoServer server(b.get());
  b->Accept(lfd, &server);

  constexpr int kConns = 64;
  constexpr int kRounds = 20;
  std::atomic<bool> client_ok{true};
  std::atomic<bool> done{false};
  std::thread client([&] {
    std::vector<int> fds;
    for (int i = 0; i < kConns; ++i) fds.push_back(BlockingConnect(port));
    for (int round = 0; round < kRounds; ++round) {
      for (int i = 0; i < kConns; ++i) {
        std::string msg = "conn " + std::to_string(i) + " round " + std::to_string(round) + std::string(i * 37, 'x');
        if (!WriteAll(fds[i], reinterpret_cast<const uint8_t*>(msg.data()), msg.size())) client_ok = false;
      }
      for (int i = 0; i < kConns; ++i) {
        std::string msg = "conn " + std::to_string(i) + " round " + std::to_string(round) + std::string(i * 37, 'x');
        std::string got(msg.size(), '\0');
        if (!ReadExact(fds[i], reinterpret_cast<uint8_t*>(got.data()), got.size()) || got != msg) client_ok = false;
      }
    }
    for (int fd : fds) close(fd);
    done = true;
  });
  const bool finished = PollUntil(*b, [&] { return done.load(); }, 10000);
  client.join();
  CHECK(finished);
  CHECK(client_ok);
  CHECK(server.conns.size() == kConns);
  // Every connection sees EOF once the client closed.
  CHECK(PollUntil(*b, [&] {
    for (auto& c : server.conns) if (!c->closed) return false;
    return true;
  }));
  for (auto& c : server.conns) {
    CHECK(c->close_err == 0);
    b->Close(c->fd);
  }
  b->Close(lfd);
  b->Poll(0);
  CHECK(server.accept_errors == 0);
}

// Sends `total` bytes from one SendMsg stream (iovec of 3 pieces), resubmitting the rest.
struct BulkSender : SendSink {
  IoBackend* b;
  int fd;
  std::vector<uint8_t> data;
  size_t off = 0;
  iovec iov[3]{};
  int sends = 0, short_sends = 0;
  ssize_t error = 0;
  BulkSender(IoBackend* backend, int f, size_t total) : b(backend), fd(f), data(total) {
    for (size_t i = 0; i < total; ++i) data[i] = Pattern(i);
  }
  void Next() {
    const size_t rest = data.size() - off;
    const size_t third = rest / 3;
    iov[0] = {data.data() + off, third};
    iov[1] = {data.data() + off + third, third};
    iov[2] = {data.data() + off + 2 * third, rest - 2 * third};
    ++sends;
    b->SendMsg(fd, iov, 3, this);
  }
  void OnSendDone(ssize_t r) override {
    if (r <= 0) {
      error = r;
      return;
    }
    if (static_cast<size_t>(r) < data.size() - off) ++short_sends;
    off += static_cast<size_t>(r);
    if (off < data.size()) Next();
  }
};

void RunBulk(const UringOptions& o, bool expect_short) {
  auto b = MakeBackend(o);
  uint16_t port;
  int lfd = Listener(&port);
  constexpr size_t kTotal = 4 << 20;
  std::atomic<bool> ok{false};
  std::thread reader([&] {
    int fd = BlockingConnect(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // let the send buffer fill
    std::vector<uint8_t> got(kTotal);
    bool good = ReadExact(fd, got.data(), kTotal);
    for (size_t i = 0; good && i < kTotal; ++i) good = got[i] == Pattern(i);
    ok = good;
    close(fd);
  });
  int cfd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(cfd >= 0);
  int small = 64 * 1024;
  setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  BulkSender sender(b.get(), cfd, kTotal);
  sender.Next();
  CHECK(PollUntil(*b, [&] { return sender.off == kTotal || sender.error != 0; }, 10000));
  reader.join();
  CHECK(ok);
  CHECK(sender.error == 0);
  MESSAGE("waitall=" << o.send_waitall << " zc=" << o.send_zc << ": " << sender.sends << " sends, "
                     << sender.short_sends << " short, zc copied " << GetUringStats(*b).zc_copied);
  if (expect_short) CHECK(sender.short_sends > 0);
  b->Close(cfd);
  close(lfd);
}

TEST_CASE("4 MiB transfer with short sends") {
  UringOptions o;
  o.send_waitall = false;
  RunBulk(o, /*expect_short=*/true);
  o.send_waitall = true;
  RunBulk(o, false);
  o.send_zc = true;
  RunBulk(o, false);
}

struct FailSink : AcceptSink, RecvSink, SendSink, ConnectSink {
  int calls = 0;
  void OnAccept(int fd) override { ++calls; close(fd); }
  void OnAcceptError(int) override { ++calls; }
  void OnRecv(const uint8_t*, size_t) override { ++calls; }
  void OnRecvClosed(int) override { ++calls; }
  void OnSendDone(ssize_t) override { ++calls; }
  void OnConnect(int) override { ++calls; }
};

TEST_CASE("Close with pending ops: no callbacks, fd closed once the kernel let go") {
  auto b = MakeBackend();
  uint16_t port;
  int lfd = Listener(&port);
  int peer = BlockingConnect(port);
  int cfd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(cfd >= 0);
  int small = 4096;
  setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  auto sink = std::make_unique<FailSink>();
  std::vector<uint8_t> big(8 << 20, 7);  // the peer never reads: this send stays pending
  iovec iov{big.data(), big.size()};
  b->Accept(lfd, sink.get());
  b->Recv(cfd, sink.get());
  b->SendMsg(cfd, &iov, 1, sink.get());
  b->Poll(0);
  b->Poll(20);
  REQUIRE(sink->calls == 0);
  b->Close(cfd);
  b->Close(lfd);
  // Traffic that would have produced callbacks had the ops survived.
  const char hello[] = "hello";
  send(peer, hello, sizeof(hello), MSG_NOSIGNAL);
  int late = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(port);
  connect(late, reinterpret_cast<sockaddr*>(&a), sizeof(a));  // may or may not succeed
  const auto start = Clock::now();
  while (MsSince(start) < 100) b->Poll(10);
  CHECK(sink->calls == 0);
  // The backend closed cfd: the peer sees EOF (or a reset, since unread data may be pending).
  timeval tv{2, 0};
  setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  uint8_t buf[65536];
  ssize_t r;
  int reads = 0;
  while ((r = recv(peer, buf, sizeof(buf), 0)) > 0 && ++reads < 100000) {
  }
  CHECK(r <= 0);
  CHECK((r == 0 || errno == ECONNRESET));
  close(peer);
  close(late);
  sink.reset();  // sinks may go away once Close returned
  b->Poll(0);
}

TEST_CASE("Close right after arming (same submission batch), and with a connect pending") {
  auto b = MakeBackend();
  FailSink sink;
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  b->Recv(sv[1], &sink);
  b->Close(sv[1]);  // the recv and its cancel go to the kernel in one enter
  send(sv[0], "x", 1, MSG_NOSIGNAL);

  // A listener with backlog 0 and a full accept queue drops SYNs: a connect to it hangs.
  uint16_t port;
  int lfd = Listener(&port);
  listen(lfd, 0);
  std::vector<int> fillers;
  for (int i = 0; i < 8; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in a = Loopback(port);
    connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    fillers.push_back(fd);
  }
  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(port);
  b->Connect(cfd, reinterpret_cast<sockaddr*>(&a), sizeof(a), &sink);
  auto start = Clock::now();
  while (MsSince(start) < 50) b->Poll(10);
  const bool connect_pending = sink.calls == 0;
  MESSAGE("connect still pending before Close: " << connect_pending);
  b->Close(cfd);
  start = Clock::now();
  while (MsSince(start) < 50) b->Poll(10);
  CHECK(sink.calls == 0);
  // The backend closed sv[1]: its peer reads EOF.
  char c;
  CHECK(recv(sv[0], &c, 1, 0) == 0);
  close(sv[0]);
  for (int fd : fillers) close(fd);
  close(lfd);
}

struct ClosingRecv : RecvSink {
  IoBackend* b;
  int fd;
  int calls = 0;
  void OnRecv(const uint8_t*, size_t) override {
    ++calls;
    b->Close(fd);  // from inside the callback
  }
  void OnRecvClosed(int) override { ++calls; }
};

TEST_CASE("Close from inside OnRecv stops further callbacks") {
  auto b = MakeBackend(UringOptions{.recv_buf_count = 4, .recv_buf_size_bytes = 16});
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  ClosingRecv sink;
  sink.b = b.get();
  sink.fd = sv[1];
  b->Recv(sv[1], &sink);
  std::vector<uint8_t> data(1000, 1);
  REQUIRE(WriteAll(sv[0], data.data(), data.size()));
  close(sv[0]);  // EOF right behind the data
  CHECK(PollUntil(*b, [&] { return sink.calls > 0; }));
  const auto start = Clock::now();
  while (MsSince(start) < 50) b->Poll(5);
  CHECK(sink.calls == 1);
}

TEST_CASE("Wake from another thread interrupts Poll(5000)") {
  auto b = MakeBackend();
  b->Poll(0);
  for (int i = 0; i < 3; ++i) {
    std::thread waker([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      b->Wake();
    });
    const auto start = Clock::now();
    b->Poll(5000);
    const int64_t ms = MsSince(start);
    waker.join();
    CHECK(ms < 1000);
  }
  // A Wake that lands before Poll makes the next Poll return at once.
  b->Wake();
  const auto start = Clock::now();
  b->Poll(5000);
  CHECK(MsSince(start) < 1000);
}

struct ConnectResult : ConnectSink {
  int err = -1;
  void OnConnect(int e) override { err = e; }
};

TEST_CASE("Connect: success, and ECONNREFUSED on a closed port") {
  auto b = MakeBackend();
  uint16_t port;
  int lfd = Listener(&port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(port);
  ConnectResult ok;
  b->Connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a), &ok);
  CHECK(PollUntil(*b, [&] { return ok.err != -1; }));
  CHECK(ok.err == 0);
  b->Close(fd);
  close(lfd);  // now nobody listens on port

  int fd2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ConnectResult refused;
  b->Connect(fd2, reinterpret_cast<sockaddr*>(&a), sizeof(a), &refused);
  CHECK(PollUntil(*b, [&] { return refused.err != -1; }));
  CHECK(refused.err == ECONNREFUSED);
  b->Close(fd2);
  b->Poll(0);
}

struct Collect : RecvSink {
  std::vector<uint8_t> got;
  bool closed = false;
  void OnRecv(const uint8_t* d, size_t n) override { got.insert(got.end(), d, d + n); }
  void OnRecvClosed(int err) override {
    CHECK(err == 0);
    closed = true;
  }
};

TEST_CASE("ENOBUFS: a tiny buffer pool still delivers every byte in order") {
  auto b = MakeBackend(UringOptions{.recv_buf_count = 4, .recv_buf_size_bytes = 256});
  uint16_t port;
  int lfd = Listener(&port);
  constexpr size_t kTotal = 1 << 20;
  std::thread writer([&] {
    int fd = BlockingConnect(port);
    std::vector<uint8_t> data(kTotal);
    for (size_t i = 0; i < kTotal; ++i) data[i] = Pattern(i);
    WriteAll(fd, data.data(), data.size());
    close(fd);
  });
  int cfd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(cfd >= 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a burst already queued
  Collect sink;
  b->Recv(cfd, &sink);
  CHECK(PollUntil(*b, [&] { return sink.closed; }, 10000));
  writer.join();
  REQUIRE(sink.got.size() == kTotal);
  bool in_order = true;
  for (size_t i = 0; i < kTotal && in_order; ++i) in_order = sink.got[i] == Pattern(i);
  CHECK(in_order);
  const UringStats st = GetUringStats(*b);
  MESSAGE("enobufs re-arms: " << st.enobufs_rearms << ", re-arms: " << st.rearms);
  CHECK(st.enobufs_rearms > 0);
  b->Close(cfd);
  close(lfd);
}

}  // namespace
}  // namespace mq::runtime
