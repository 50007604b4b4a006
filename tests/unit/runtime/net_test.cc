// Net layer over real loopback sockets: Server + ProcessorTable answered by BlockingClient and by
// net::Client running on a shard. Every wait is bounded.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/blocking_client.h"
#include "net/client.h"
#include "net/server.h"
#include "remoting/frame.h"
#include "runtime/shard_set.h"

using namespace mq;
using namespace mq::net;
using remoting::Command;

namespace {

constexpr int32_t kEcho = 1000, kOnewayCount = 1001, kSlow = 1002, kNever = 1003, kCallBack = 1004;
constexpr int32_t kZeroCopy = 1005;
constexpr size_t kZeroCopyBytes = 3u << 20;  // several sends' worth on loopback
constexpr int32_t kClientSide = 2000;

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Runs fn on shard `id` and waits for it (up to 5 s).
void RunOn(runtime::ShardSet& set, uint32_t id, std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  REQUIRE(set.SubmitTo(id, [fn, done] {
    fn();
    done->set_value();
  }));
  REQUIRE(fut.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
}

struct Fixture {
  std::unique_ptr<runtime::ShardSet> shards;
  ProcessorTable table;
  std::unique_ptr<Server> server;
  std::atomic<int> oneways{0};
  std::atomic<int> closed_conns{0};
  std::atomic<int> responses_from_clients{0};
  std::string addr;
  std::mutex pinned_mu;
  std::weak_ptr<const void> pinned;  // the buffer the last kZeroCopy answer borrowed

  explicit Fixture(ServerOptions opts = {}) {
    runtime::RuntimeOptions ro;
    ro.shard_count = 2;
    auto s = runtime::ShardSet::Start(ro);
    REQUIRE(s.ok());
    shards = std::move(s).value();
    table.Register(kEcho, [](const ConnectionPtr& c, Command&& req) {
      Command resp = Command::ResponseTo(req, ResponseCode::kSuccess, "echo");
      resp.body = req.body;
      resp.ext_fields.Set("shard", std::to_string(runtime::CurrentShard()->id()));
      c->Send(resp);
    });
    table.Register(kOnewayCount, [this](const ConnectionPtr&, Command&&) { ++oneways; });
    table.Register(kSlow, [](const ConnectionPtr& c, Command&& req) {
      runtime::CurrentShard()->RunAfter(50, [c, req] { c->Send(Command::ResponseTo(req, ResponseCode::kSuccess)); });
    });
    table.Register(kNever, [](const ConnectionPtr&, Command&&) {});
    table.Register(kCallBack, [](const ConnectionPtr& c, Command&& req) {
      Command ask = Command::Request(kClientSide);
      ask.opaque = 77;
      c->Send(ask);
      c->Send(Command::ResponseTo(req, ResponseCode::kSuccess));
    });
    // Answers with a body borrowed from a pinned buffer: two adjacent slices (merged into one
    // iovec), one from the middle, then the tail; the body is buffer[0, n) with the middle repeated.
    table.Register(kZeroCopy, [this](const ConnectionPtr& c, Command&& req) {
      auto buf = std::make_shared<std::string>(kZeroCopyBytes, '\0');
      for (size_t i = 0; i < buf->size(); ++i) (*buf)[i] = static_cast<char>('a' + (i * 7) % 26);
      const auto* p = reinterpret_cast<const uint8_t*>(buf->data());
      std::shared_ptr<const void> keep = buf;
      std::vector<BodySlice> body = {{p, 100, keep}, {p + 100, 900, keep}, {p + 10, 5, keep},
                                     {p + 1000, kZeroCopyBytes - 1000, keep}};
      {
        std::lock_guard<std::mutex> lock(pinned_mu);
        pinned = keep;
      }
      Command resp = Command::ResponseTo(req, ResponseCode::kSuccess, "zc");
      resp.ext_fields.Set("n", std::to_string(kZeroCopyBytes));
      c->SendWithBody(resp, std::move(body));
      c->Send(Command::ResponseTo(req, ResponseCode::kSystemBusy, "after"));  // order is kept
    });
    opts.host = "127.0.0.1";
    ServerHooks hooks;
    hooks.on_close = [this](const ConnectionPtr&) { ++closed_conns; };
    hooks.on_response = [this](const ConnectionPtr&, Command&& r) {
      if (r.opaque == 77 && r.code == 0) ++responses_from_clients;
    };
    auto srv = Server::Start(*shards, opts, &table, hooks);
    REQUIRE(srv.ok());
    server = std::move(srv).value();
    addr = "127.0.0.1:" + std::to_string(server->port());
  }
  ~Fixture() {
    server->Stop();
    shards->RequestStop();
    shards->Join();
  }
  std::unique_ptr<BlockingClient> Connect() {
    auto c = BlockingClient::Connect(addr, 3000);
    REQUIRE(c.ok());
    return std::move(c).value();
  }
};

uint16_t UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("net: blocking client gets answers in the request's serialize type") {
  Fixture f;
  auto c = f.Connect();
  for (auto type : {remoting::SerializeType::kJson, remoting::SerializeType::kRocketmq}) {
    Command req = Command::Request(kEcho);
    req.serialize_type = type;
    req.body = "hello";
    req.ext_fields.Set("k", "v");
    auto resp = c->Invoke(req, 3000);
    REQUIRE(resp.ok());
    CHECK(resp->is_response());
    CHECK(resp->code == 0);
    CHECK(resp->serialize_type == type);
    CHECK(resp->body == "hello");
    REQUIRE(resp->remark.has_value());
    CHECK(*resp->remark == "echo");
  }
}

TEST_CASE("net: unknown code answers 3, oneway requests get no answer") {
  Fixture f;
  auto c = f.Connect();
  auto resp = c->Invoke(Command::Request(9999), 3000);
  REQUIRE(resp.ok());
  CHECK(resp->code == 3);
  CHECK(resp->remark.value_or("") == " request type 9999 not supported");

  Command oneway_unknown = Command::Request(9999);
  oneway_unknown.flag = remoting::kFlagOneway;
  oneway_unknown.opaque = 500;
  Command oneway_known = Command::Request(kOnewayCount);
  oneway_known.flag = remoting::kFlagOneway;
  oneway_known.opaque = 501;
  REQUIRE(c->Send(oneway_unknown).ok());
  REQUIRE(c->Send(oneway_known).ok());
  Command probe = Command::Request(kEcho);
  probe.opaque = 502;
  REQUIRE(c->Send(probe).ok());
  auto first = c->ReadFrame(3000);
  REQUIRE(first.ok());
  CHECK(first->opaque == 502);  // nothing came back for 500 / 501
  CHECK(f.oneways == 1);
  auto none = c->ReadFrame(100);
  CHECK_FALSE(none.ok());
}

TEST_CASE("net: a malformed frame closes only its own connection") {
  Fixture f;
  auto good = f.Connect();
  auto bad_len = f.Connect();
  auto bad_header = f.Connect();
  REQUIRE(good->Invoke(Command::Request(kEcho), 3000).ok());
  // Length far above the 16 MiB limit.
  REQUIRE(bad_len->SendRaw(std::string("\x7f\xff\xff\xff\x00\x00\x00\x05", 8)).ok());
  CHECK(bad_len->WaitForClose(3000));
  // Sane length, garbage JSON header.
  std::string garbage = "{{{{ not json";
  std::string frame;
  const uint32_t len = static_cast<uint32_t>(4 + garbage.size());
  for (int s : {24, 16, 8, 0}) frame.push_back(static_cast<char>((len >> s) & 0xff));
  for (int s : {24, 16, 8, 0}) frame.push_back(static_cast<char>((garbage.size() >> s) & 0xff));
  frame += garbage;
  REQUIRE(bad_header->SendRaw(frame).ok());
  CHECK(bad_header->WaitForClose(3000));
  auto resp = good->Invoke(Command::Request(kEcho), 3000);
  REQUIRE(resp.ok());
  CHECK(resp->code == 0);
  CHECK(WaitFor([&] { return f.closed_conns >= 2; }));
}

TEST_CASE("net: a frame split at every byte still decodes") {
  Fixture f;
  auto c = f.Connect();
  Command req = Command::Request(kEcho);
  req.body = "split-me";
  std::string frame;
  req.opaque = 101;  // opaques 101..999 all encode with three digits
  remoting::EncodeFrame(req, frame);
  const size_t frame_bytes = frame.size();  // the opaque values used below keep the size
  for (size_t cut = 1; cut < frame_bytes; ++cut) {
    req.opaque = static_cast<int32_t>(100 + cut);
    frame.clear();
    remoting::EncodeFrame(req, frame);
    REQUIRE(frame.size() == frame_bytes);
    REQUIRE(c->SendRaw(std::string_view(frame).substr(0, cut)).ok());
    if (cut % 16 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(c->SendRaw(std::string_view(frame).substr(cut)).ok());
    auto resp = c->ReadFrame(3000);
    REQUIRE(resp.ok());
    CHECK(resp->opaque == static_cast<int32_t>(100 + cut));
  }
  // One byte per send for a whole frame.
  req.opaque = 4242;
  frame.clear();
  remoting::EncodeFrame(req, frame);
  for (char ch : frame) REQUIRE(c->SendRaw(std::string_view(&ch, 1)).ok());
  auto resp = c->ReadFrame(3000);
  REQUIRE(resp.ok());
  CHECK(resp->opaque == 4242);
  CHECK(resp->body == "split-me");
}

TEST_CASE("net: many concurrent connections spread over the shards") {
  Fixture f;
  constexpr int kThreads = 4, kConnsPerThread = 16, kRequests = 20;
  std::atomic<int> ok{0};
  std::mutex mu;
  std::set<std::string> shards_seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::unique_ptr<BlockingClient>> conns;
      for (int i = 0; i < kConnsPerThread; ++i) {
        auto c = BlockingClient::Connect(f.addr, 3000);
        if (c.ok()) conns.push_back(std::move(c).value());
      }
      for (int r = 0; r < kRequests; ++r) {
        for (auto& c : conns) {
          Command req = Command::Request(kEcho);
          req.body = std::to_string(r);
          auto resp = c->Invoke(req, 3000);
          if (resp.ok() && resp->body == req.body) {
            ++ok;
            std::lock_guard<std::mutex> lock(mu);
            shards_seen.insert(*resp->ext_fields.Find("shard"));
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == kThreads * kConnsPerThread * kRequests);
  CHECK(shards_seen.size() == 2);
}

TEST_CASE("net: server stop closes connections; idle connections are closed") {
  ServerOptions opts;
  opts.idle_timeout_ms = 100;
  Fixture f(opts);
  auto idle = f.Connect();
  CHECK(idle->WaitForClose(3000));
  auto live = f.Connect();
  REQUIRE(live->Invoke(Command::Request(kEcho), 3000).ok());
  f.server->Stop();
  CHECK(live->WaitForClose(3000));
  CHECK(WaitFor([&] { return f.closed_conns >= 2; }));
}

TEST_CASE("net: net::Client on a shard: responses, pipelining, timeouts, refused, reconnect") {
  Fixture f;
  struct Outcome {
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::mutex mu;
    std::vector<std::string> errors;
  };
  auto out = std::make_shared<Outcome>();
  std::unique_ptr<Client> client;
  RunOn(*f.shards, 1, [&] { client = Client::Create(*runtime::CurrentShard()); });
  auto record = [out](Result<Command> r) {
    if (r.ok()) {
      ++out->ok;
    } else {
      ++out->failed;
      std::lock_guard<std::mutex> lock(out->mu);
      out->errors.push_back(r.status().remark());
    }
  };
  RunOn(*f.shards, 1, [&] {
    for (int i = 0; i < 500; ++i) {
      Command req = Command::Request(kEcho);
      req.body = std::to_string(i);
      client->Invoke(f.addr, req, 3000, [out, i](Result<Command> r) {
        if (r.ok() && r->body == std::to_string(i)) ++out->ok;
        else ++out->failed;
      });
    }
    client->Invoke(f.addr, Command::Request(kSlow), 3000, record);
  });
  REQUIRE(WaitFor([&] { return out->ok + out->failed == 501; }));
  CHECK(out->ok == 501);

  RunOn(*f.shards, 1, [&] { client->Invoke(f.addr, Command::Request(kNever), 100, record); });
  REQUIRE(WaitFor([&] { return out->failed == 1; }));
  {
    std::lock_guard<std::mutex> lock(out->mu);
    CHECK(out->errors.back() == "request code 1003 to " + f.addr + " timed out after 100 ms");
  }

  const std::string refused = "127.0.0.1:" + std::to_string(UnusedPort());
  RunOn(*f.shards, 1, [&] { client->Invoke(refused, Command::Request(kEcho), 3000, record); });
  REQUIRE(WaitFor([&] { return out->failed == 2; }));
  {
    std::lock_guard<std::mutex> lock(out->mu);
    CHECK(out->errors.back() == "connect to " + refused + " failed: Connection refused");
  }

  RunOn(*f.shards, 1, [&] { client->Invoke("not-an-ip:1", Command::Request(kEcho), 3000, record); });
  REQUIRE(WaitFor([&] { return out->failed == 3; }));

  // A closed connection fails its pending calls; the next Invoke reconnects.
  RunOn(*f.shards, 1, [&] {
    client->Invoke(f.addr, Command::Request(kNever), 5000, record);
    client->CloseConnection(f.addr);
  });
  REQUIRE(WaitFor([&] { return out->failed == 4; }));
  RunOn(*f.shards, 1, [&] { client->Invoke(f.addr, Command::Request(kEcho), 3000, record); });
  REQUIRE(WaitFor([&] { return out->ok == 502; }));

  // Oneway from the client.
  RunOn(*f.shards, 1, [&] { client->InvokeOneway(f.addr, Command::Request(kOnewayCount)); });
  CHECK(WaitFor([&] { return f.oneways == 1; }));

  RunOn(*f.shards, 1, [&] { client.reset(); });
}

TEST_CASE("net: peer-initiated requests reach the client's request_table") {
  Fixture f;
  ProcessorTable client_table;
  std::atomic<int> asked{0};
  client_table.Register(kClientSide, [&](const ConnectionPtr& c, Command&& req) {
    ++asked;
    c->Send(Command::ResponseTo(req, ResponseCode::kSuccess));
  });
  std::atomic<int> answered{0};
  std::unique_ptr<Client> client;
  RunOn(*f.shards, 0, [&] {
    ClientOptions opts;
    opts.request_table = &client_table;
    client = Client::Create(*runtime::CurrentShard(), opts);
    client->Invoke(f.addr, Command::Request(kCallBack), 3000, [&](Result<Command> r) {
      if (r.ok() && r->code == 0) ++answered;
    });
  });
  CHECK(WaitFor([&] { return answered == 1 && asked == 1 && f.responses_from_clients == 1; }));
  RunOn(*f.shards, 0, [&] { client.reset(); });
}

TEST_CASE("net: pending calls fail when the peer goes away") {
  Fixture f;
  std::atomic<int> failed{0};
  std::string error;
  std::unique_ptr<Client> client;
  RunOn(*f.shards, 1, [&] {
    client = Client::Create(*runtime::CurrentShard());
    client->Invoke(f.addr, Command::Request(kNever), 10000, [&](Result<Command> r) {
      if (!r.ok()) {
        error = r.status().remark();
        ++failed;
      }
    });
  });
  REQUIRE(WaitFor([&] { return f.shards != nullptr && f.closed_conns == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the request reach the server
  f.server->Stop();
  REQUIRE(WaitFor([&] { return failed == 1; }));
  CHECK(error == "connection to " + f.addr + " closed by peer");
  RunOn(*f.shards, 1, [&] { client.reset(); });
}

TEST_CASE("net: SendWithBody sends borrowed slices in order and releases them after the send") {
  Fixture f;
  auto c = f.Connect();
  std::string expected(kZeroCopyBytes, '\0');
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<char>('a' + (i * 7) % 26);
  expected = expected.substr(0, 1000) + expected.substr(10, 5) + expected.substr(1000);
  for (auto type : {remoting::SerializeType::kJson, remoting::SerializeType::kRocketmq}) {
    Command req = Command::Request(kZeroCopy);
    req.serialize_type = type;
    auto resp = c->Invoke(req, 5000);
    REQUIRE(resp.ok());
    CHECK(resp->code == 0);
    CHECK(resp->serialize_type == type);
    REQUIRE(resp->ext_fields.Find("n") != nullptr);
    CHECK(*resp->ext_fields.Find("n") == std::to_string(kZeroCopyBytes));
    CHECK(resp->body.size() == expected.size());
    CHECK(resp->body == expected);
    auto next = c->ReadFrame(3000);
    REQUIRE(next.ok());
    CHECK(next->code == 2);
    CHECK(next->opaque == resp->opaque);
    CHECK(WaitFor([&] {
      std::lock_guard<std::mutex> lock(f.pinned_mu);
      return f.pinned.expired();
    }));
  }
}
