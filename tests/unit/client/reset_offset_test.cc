// Broker -> client requests at a ClientInstance, from a fake broker socket: RESET_CONSUMER_CLIENT_OFFSET
// (220) reaches the consumer's hook with the parsed table, GET_CONSUMER_RUNNING_INFO (307) is
// answered for our group only, and unknown codes get REQUEST_CODE_NOT_SUPPORTED.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "client/client_instance.h"
#include "remoting/frame.h"
#include "remoting/request_code.h"

using mq::MessageQueue;
using mq::remoting::Command;
using namespace mq::client;
namespace rc = mq::remoting::RequestCode;

namespace {

// One accepted connection; reads and writes whole frames with deadlines.
class FakeBroker {
 public:
  FakeBroker() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    REQUIRE(::listen(listen_fd_, 4) == 0);
    socklen_t len = sizeof(sa);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    addr_ = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  }
  ~FakeBroker() {
    if (fd_ >= 0) ::close(fd_);
    ::close(listen_fd_);
  }
  const std::string& addr() const { return addr_; }

  bool Accept(int timeout_ms) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    fd_ = ::accept(listen_fd_, nullptr, nullptr);
    return fd_ >= 0;
  }
  void Send(const Command& cmd) {
    const std::string bytes = mq::remoting::EncodeFrame(cmd);
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }
  std::optional<Command> Read(int timeout_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (buf_.size() >= 4) {
        const uint32_t len = (uint32_t(uint8_t(buf_[0])) << 24) | (uint32_t(uint8_t(buf_[1])) << 16) |
                             (uint32_t(uint8_t(buf_[2])) << 8) | uint32_t(uint8_t(buf_[3]));
        if (buf_.size() >= 4 + len) {
          Command cmd;
          mq::remoting::FrameLimits limits;
          const auto st = mq::remoting::DecodeFrame(std::string_view(buf_).substr(0, 4 + len), limits, cmd);
          buf_.erase(0, 4 + len);
          if (!st.ok()) return std::nullopt;
          return cmd;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) != 1) return std::nullopt;
      char tmp[4096];
      const ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

 private:
  int listen_fd_ = -1;
  int fd_ = -1;
  std::string addr_;
  std::string buf_;
};

struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::string topic;
  std::map<MessageQueue, int64_t> offsets;
  int resets = 0;
};

}  // namespace

TEST_CASE("broker-initiated requests: 220 reaches the consumer, 307 is answered, unknown codes are not supported") {
  FakeBroker broker;
  auto seen = std::make_shared<Seen>();
  InstanceConfig cfg;
  cfg.namesrv_addr = "127.0.0.1:1";  // never contacted
  InstanceHooks hooks;
  hooks.consumer_group = "g1";
  hooks.reset_offset = [seen](const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) {
    std::lock_guard<std::mutex> lock(seen->mu);
    seen->topic = topic;
    seen->offsets = offsets;
    ++seen->resets;
    seen->cv.notify_all();
  };
  hooks.running_info = [] { return std::string(R"({"mqTable":{},"properties":{},"statusTable":{},"subscriptionSet":[]})"); };
  auto inst = ClientInstance::Start(cfg, hooks);
  REQUIRE(inst.ok());

  // Any request opens the connection the broker then talks back on.
  Command hello = Command::Request(rc::kHeartBeat);
  std::optional<mq::Result<Command>> first;
  std::mutex first_mu;
  inst.value()->InvokeAsync(broker.addr(), hello, 3000, [&](mq::Result<Command> r) {
    std::lock_guard<std::mutex> lock(first_mu);
    first = std::move(r);
  });
  REQUIRE(broker.Accept(5000));
  auto req = broker.Read();
  REQUIRE(req.has_value());
  Command ok = Command::ResponseTo(*req, mq::ResponseCode::kSuccess);
  broker.Send(ok);

  // 220, oneway, as a 4.x broker sends it.
  Command reset = Command::Request(rc::kResetConsumerClientOffset);
  reset.flag |= mq::remoting::kFlagOneway;
  reset.opaque = 1001;
  reset.ext_fields.Set("topic", "T");
  reset.ext_fields.Set("group", "g1");
  reset.ext_fields.Set("timestamp", "0");
  reset.ext_fields.Set("isForce", "true");
  reset.body = R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:0,)"
               R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:5}})";
  broker.Send(reset);
  {
    std::unique_lock<std::mutex> lock(seen->mu);
    REQUIRE(seen->cv.wait_for(lock, std::chrono::seconds(5), [&] { return seen->resets == 1; }));
    CHECK(seen->topic == "T");
    CHECK(seen->offsets.size() == 2);
    CHECK(seen->offsets.at(MessageQueue{"T", "broker-a", 1}) == 5);
  }
  // A reset for another group is not ours.
  reset.ext_fields.Set("group", "other");
  broker.Send(reset);

  Command info = Command::Request(rc::kGetConsumerRunningInfo);
  info.opaque = 1002;
  info.ext_fields.Set("consumerGroup", "g1");
  info.ext_fields.Set("clientId", inst.value()->client_id());
  info.ext_fields.Set("jstackEnable", "false");
  broker.Send(info);
  auto answer = broker.Read();
  REQUIRE(answer.has_value());
  CHECK(answer->is_response());
  CHECK(answer->opaque == 1002);
  CHECK(answer->code == 0);
  CHECK(answer->body.find("\"mqTable\"") != std::string::npos);

  info.opaque = 1003;
  info.ext_fields.Set("consumerGroup", "nobody");
  broker.Send(info);
  answer = broker.Read();
  REQUIRE(answer.has_value());
  CHECK(answer->opaque == 1003);
  CHECK(answer->code == mq::ToInt(mq::ResponseCode::kSystemError));

  Command direct = Command::Request(rc::kConsumeMessageDirectly);
  direct.opaque = 1004;
  broker.Send(direct);
  answer = broker.Read();
  REQUIRE(answer.has_value());
  CHECK(answer->opaque == 1004);
  CHECK(answer->code == mq::ToInt(mq::ResponseCode::kRequestCodeNotSupported));

  Command unknown = Command::Request(9999);
  unknown.opaque = 1005;
  broker.Send(unknown);
  answer = broker.Read();
  REQUIRE(answer.has_value());
  CHECK(answer->opaque == 1005);
  CHECK(answer->code == mq::ToInt(mq::ResponseCode::kRequestCodeNotSupported));

  {
    std::lock_guard<std::mutex> lock(seen->mu);
    CHECK(seen->resets == 1);
  }
  inst.value()->Shutdown();
}
