// Request/response over loopback through the runtime (Server on the shards, frames decoded and
// answered by a ProcessorTable handler) against a plain blocking-socket echo server (one thread,
// read a frame, write it back) measured in the same run. Every case reports `req_per_s`, so the
// ratio runtime / plain can be quoted. The backend follows MQ_IO_BACKEND (auto by default).
//
//   BM_Runtime_PlainEchoBaseline  one blocking client, one request at a time, plain thread server
//   BM_Runtime_Echo               the same client against the runtime Server
//   BM_Runtime_ClientBatch        net::Client on shard 1 keeping `batch` requests in flight to shard 0
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "base/log.h"
#include "net/blocking_client.h"
#include "net/client.h"
#include "net/server.h"
#include "runtime/shard_set.h"

using namespace mq;
using remoting::Command;

namespace {

constexpr int32_t kEchoCode = 1000;

bool ReadAll(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Thread-per-connection echo of length-prefixed frames over blocking sockets: the baseline.
class PlainEchoServer {
 public:
  PlainEchoServer() {
    lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(lfd_, 16);
    socklen_t len = sizeof(a);
    ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      const int fd = ::accept(lfd_, nullptr, nullptr);
      if (fd < 0) return;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::string buf;
      for (;;) {
        char len_bytes[4];
        if (!ReadAll(fd, len_bytes, 4)) break;
        const uint32_t n = ntohl(*reinterpret_cast<uint32_t*>(len_bytes));
        buf.assign(len_bytes, 4);
        buf.resize(4 + n);
        if (!ReadAll(fd, buf.data() + 4, n) || !WriteAll(fd, buf.data(), buf.size())) break;
      }
      ::close(fd);
    });
  }
  ~PlainEchoServer() {
    ::shutdown(lfd_, SHUT_RDWR);
    thread_.join();
    ::close(lfd_);
  }
  uint16_t port() const { return port_; }

 private:
  int lfd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

struct RuntimeFixture {
  std::unique_ptr<runtime::ShardSet> shards;
  net::ProcessorTable table;
  std::unique_ptr<net::Server> server;

  RuntimeFixture() {
    spdlog::set_level(spdlog::level::warn);
    runtime::RuntimeOptions opts;
    opts.shard_count = 2;
    shards = std::move(runtime::ShardSet::Start(opts)).value();
    table.Register(kEchoCode, [](const net::ConnectionPtr& c, Command&& req) {
      Command resp = Command::ResponseTo(req, ResponseCode::kSuccess);
      resp.body = std::move(req.body);
      c->Send(resp);
    });
    net::ServerOptions so;
    so.host = "127.0.0.1";
    server = std::move(net::Server::Start(*shards, so, &table)).value();
  }
  ~RuntimeFixture() {
    server->Stop();
    shards->RequestStop();
    shards->Join();
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

Command SmallRequest() {
  Command req = Command::Request(kEchoCode);
  req.ext_fields.Set("topic", "BenchTopic");
  req.body = std::string(64, 'x');
  return req;
}

void RoundTrips(benchmark::State& state, net::BlockingClient& client) {
  Command req = SmallRequest();
  for (auto _ : state) {
    req.opaque = client.NextOpaque();
    if (!client.Send(req).ok()) {
      state.SkipWithError("send failed");
      break;
    }
    auto resp = client.ReadFrame(5000);
    if (!resp.ok() || resp->opaque != req.opaque) {
      state.SkipWithError("bad or missing response");
      break;
    }
  }
  state.counters["req_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Runtime_PlainEchoBaseline(benchmark::State& state) {
  PlainEchoServer server;
  auto client = net::BlockingClient::Connect("127.0.0.1:" + std::to_string(server.port()), 3000);
  if (!client.ok()) return state.SkipWithError("connect failed");
  RoundTrips(state, *client.value());
}
BENCHMARK(BM_Runtime_PlainEchoBaseline)->UseRealTime();

void BM_Runtime_Echo(benchmark::State& state) {
  RuntimeFixture fx;
  auto client = net::BlockingClient::Connect(fx.addr(), 3000);
  if (!client.ok()) return state.SkipWithError("connect failed");
  RoundTrips(state, *client.value());
  state.SetLabel(fx.shards->backend_name());
}
BENCHMARK(BM_Runtime_Echo)->UseRealTime();

// Each iteration: `batch` requests issued together from shard 1, waited for together.
void BM_Runtime_ClientBatch(benchmark::State& state) {
  RuntimeFixture fx;
  const int batch = static_cast<int>(state.range(0));
  std::unique_ptr<net::Client> client;
  const std::string addr = fx.addr();
  auto on_shard = [&](std::function<void()> fn) {
    auto p = std::make_shared<std::promise<void>>();
    auto fut = p->get_future();
    fx.shards->SubmitTo(1, [fn, p] {
      fn();
      p->set_value();
    });
    return fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  };
  on_shard([&] { client = net::Client::Create(*runtime::CurrentShard()); });
  std::atomic<int> failures{0};
  for (auto _ : state) {
    auto p = std::make_shared<std::promise<void>>();
    auto fut = p->get_future();
    fx.shards->SubmitTo(1, [&, p] {
      auto left = std::make_shared<int>(batch);
      for (int i = 0; i < batch; ++i) {
        client->Invoke(addr, SmallRequest(), 5000, [&, p, left](Result<Command> r) {
          if (!r.ok()) ++failures;
          if (--*left == 0) p->set_value();
        });
      }
    });
    if (fut.wait_for(std::chrono::seconds(10)) != std::future_status::ready || failures > 0) {
      state.SkipWithError("batch failed or timed out");
      break;
    }
  }
  on_shard([&] { client.reset(); });
  state.counters["req_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
  state.SetLabel(fx.shards->backend_name());
}
BENCHMARK(BM_Runtime_ClientBatch)->Arg(1)->Arg(64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
