#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "runtime/io_backend.h"

using namespace mq::runtime;

namespace {

int ListenLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 128) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

// Echoes everything it receives; keeps one send in flight and queues the rest.
struct EchoConn : RecvSink, SendSink {
  IoBackend* be;
  int fd;
  std::string pending, inflight;
  iovec iov{};
  bool closed = false;
  size_t sent_total = 0;
  EchoConn(IoBackend* b, int f) : be(b), fd(f) {}
  void OnRecv(const uint8_t* data, size_t n) override {
    pending.append(reinterpret_cast<const char*>(data), n);
    if (inflight.empty()) Flush();
  }
  void Flush() {
    if (pending.empty() || closed) return;
    inflight.swap(pending);
    iov = {inflight.data(), inflight.size()};
    be->SendMsg(fd, &iov, 1, this);
  }
  void OnSendDone(ssize_t r) override {
    REQUIRE(r > 0);
    sent_total += static_cast<size_t>(r);
    inflight.erase(0, static_cast<size_t>(r));  // short send: resubmit the rest
    if (!inflight.empty()) {
      iov = {inflight.data(), inflight.size()};
      be->SendMsg(fd, &iov, 1, this);
    } else {
      Flush();
    }
  }
  void OnRecvClosed(int) override {
    closed = true;
    be->Close(fd);
  }
};

struct Acceptor : AcceptSink {
  IoBackend* be;
  std::vector<std::unique_ptr<EchoConn>> conns;
  void OnAccept(int fd) override {
    conns.push_back(std::make_unique<EchoConn>(be, fd));
    be->Recv(fd, conns.back().get());
  }
  void OnAcceptError(int) override {}
};

struct ConnectWaiter : ConnectSink {
  int result = -1;
  void OnConnect(int err) override { result = err; }
};

}  // namespace

TEST_CASE("epoll backend: echo over loopback with big payloads and many clients") {
  auto created = CreateEpollBackend();
  REQUIRE(created.ok());
  IoBackend* be = created.value().get();
  CHECK(std::string(be->name()) == "epoll");
  uint16_t port = 0;
  const int lfd = ListenLoopback(&port);
  Acceptor acceptor;
  acceptor.be = be;
  be->Accept(lfd, &acceptor);

  constexpr int kClients = 8;
  constexpr size_t kBytes = 4 << 20;  // large enough to force short sends
  std::atomic<int> ok_clients{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
      std::string out(kBytes, '\0');
      for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>((i * 7 + c) & 0xff);
      std::thread writer([&] {
        size_t off = 0;
        while (off < out.size()) {
          ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
          if (n <= 0) return;
          off += static_cast<size_t>(n);
        }
      });
      std::string in;
      std::vector<char> buf(65536);
      while (in.size() < out.size()) {
        ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        in.append(buf.data(), static_cast<size_t>(n));
      }
      writer.join();
      if (in == out) ++ok_clients;
      ::close(fd);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int closed = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    be->Poll(10);
    closed = 0;
    for (auto& c : acceptor.conns) closed += c->closed ? 1 : 0;
    if (closed == kClients) break;
  }
  for (auto& t : clients) t.join();
  CHECK(ok_clients == kClients);
  CHECK(closed == kClients);
  be->Close(lfd);
}

TEST_CASE("epoll backend: connect refused, close suppresses callbacks, wake") {
  auto created = CreateEpollBackend();
  REQUIRE(created.ok());
  IoBackend* be = created.value().get();
  uint16_t port = 0;
  const int lfd = ListenLoopback(&port);
  ::close(lfd);  // nothing listens on `port` now

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ConnectWaiter refused;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  be->Connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr), &refused);
  for (int i = 0; i < 100 && refused.result < 0; ++i) be->Poll(10);
  CHECK(refused.result == ECONNREFUSED);
  be->Close(fd);

  // A connect whose fd is closed before completion never calls back.
  ConnectWaiter silenced;
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  be->Connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr), &silenced);
  be->Close(fd);
  for (int i = 0; i < 5; ++i) be->Poll(5);
  CHECK(silenced.result == -1);

  // Wake from another thread ends a long Poll early.
  std::thread waker([be] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    be->Wake();
  });
  const auto start = std::chrono::steady_clock::now();
  be->Poll(5000);
  const auto waited = std::chrono::steady_clock::now() - start;
  waker.join();
  CHECK(waited < std::chrono::seconds(3));
  // A Wake before Poll makes the next Poll return at once.
  be->Wake();
  const auto start2 = std::chrono::steady_clock::now();
  be->Poll(5000);
  CHECK(std::chrono::steady_clock::now() - start2 < std::chrono::seconds(1));
}
