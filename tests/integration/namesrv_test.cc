// The name server as a real process: replays what real RocketMQ software sent to the Apache
// RocketMQ 4.9.8 name server and checks the answers field by field against that server's answers;
// then lifecycle, bad input and tooling.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "remoting/fastjson.h"
#include "remoting/request_code.h"
#include "support/frame_conn.h"
#include "support/mq_process.h"

using namespace mq;
using namespace mq::testing;
using remoting::Command;

namespace {

std::unique_ptr<MqProcess> StartNamesrv(const TempDir& home, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--role=namesrv", "-p", "0", "--bind", "127.0.0.1", "--smp", "2",
                                   "--pid-file", home.path() + "/namesrv.pid"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<MqProcess>(args, home.path());
  REQUIRE_MESSAGE(p->started(), "mq --role=namesrv did not boot");
  return p;
}

// JSON bodies compare as values: key order and the quoting of integer keys do not matter. A
// topicList must be a non-empty subset of the real answer: the capture kept 5 of the 53
// REGISTER_BROKER frames the real name server saw, so it knew topics this replay cannot know.
bool SameJson(const std::string& got, const std::string& expected) {
  rapidjson::Document dg, de;
  if (!remoting::ParseFastjson(got, dg).ok() || !remoting::ParseFastjson(expected, de).ok()) return got == expected;
  if (dg.IsObject() && de.IsObject() && dg.HasMember("topicList") && de.HasMember("topicList")) {
    std::set<std::string> real;
    for (const auto& t : de["topicList"].GetArray()) real.insert(t.GetString());
    if (dg["topicList"].Empty()) return false;
    for (const auto& t : dg["topicList"].GetArray()) {
      if (real.count(t.GetString()) == 0) return false;
    }
    return true;
  }
  return dg == de;
}

// Asks for a route every 20 ms until the answer code is `want` (or 2 s pass); returns the last code.
int32_t PollRouteCode(FrameConn& client, const Command& route, int32_t want) {
  int32_t code = -1;
  for (int i = 0; i < 100 && code != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!client.Send(route)) return -1;
    auto r = client.Read();
    if (!r) return -1;
    code = r->code;
  }
  return code;
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

Command Request(int32_t code, std::vector<std::pair<std::string, std::string>> fields = {}) {
  static int32_t opaque = 1000;
  Command c = Command::Request(code);
  c.opaque = ++opaque;
  for (auto& [k, v] : fields) c.ext_fields.Set(k, v);
  return c;
}

}  // namespace

TEST_CASE("replays the Java conversation with the 4.9.8 name server and matches every answer") {
  TempDir home;
  auto ns = StartNamesrv(home);
  const std::string dir = FixturesDir() + "/java-4.9.8";
  rapidjson::Document index;
  REQUIRE(remoting::ParseFastjson(ReadFile(dir + "/index.json"), index).ok());
  std::map<int, std::unique_ptr<FrameConn>> streams;  // one connection per captured TCP stream
  int compared = 0;
  for (const auto& frame : index["frames"].GetArray()) {
    const std::string direction = frame["direction"].GetString();
    if (direction.size() < 9 || direction.substr(direction.size() - 9) != "->namesrv") continue;
    const int stream = frame["stream"].GetInt();
    auto& conn = streams[stream];
    if (!conn) conn = std::make_unique<FrameConn>(ns->port());
    REQUIRE(conn->connected());
    const std::string file = frame["file"].GetString();
    REQUIRE(conn->SendBytes(ReadFile(dir + "/" + file)));
    if (!frame.HasMember("response_file")) continue;
    const std::string expected_bytes = ReadFile(dir + "/" + frame["response_file"].GetString());
    remoting::FrameDecoder decoder;
    std::vector<Command> expected;
    REQUIRE(decoder.Feed(reinterpret_cast<const uint8_t*>(expected_bytes.data()), expected_bytes.size(), expected).ok());
    REQUIRE(expected.size() == 1);
    auto got = conn->Read();
    INFO("request ", file);
    REQUIRE(got.has_value());
    CHECK(got->code == expected[0].code);
    CHECK(got->opaque == expected[0].opaque);
    CHECK(got->is_response());
    CHECK(got->serialize_type == expected[0].serialize_type);
    CHECK(FirstLine(got->remark.value_or("")) == FirstLine(expected[0].remark.value_or("")));
    for (const auto& [k, v] : expected[0].ext_fields) {
      const std::string* mine = got->ext_fields.Find(k);
      CHECK_MESSAGE(mine != nullptr, "missing ext field ", k);
      if (mine) CHECK(*mine == v);
    }
    CHECK_MESSAGE(SameJson(got->body, expected[0].body), "got ", got->body, "\nexpected ", expected[0].body);
    ++compared;
  }
  CHECK(compared >= 15);
}

TEST_CASE("requests of the ali-ons, C++ and Go clients get well-formed JSON answers") {
  TempDir home;
  auto ns = StartNamesrv(home);
  int answered = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(FixturesDir() + "/clients")) {
    const std::string name = entry.path().filename().string();
    if (name.find("_namesrv_") == std::string::npos) continue;
    const std::string bytes = ReadFile(entry.path().string());
    remoting::FrameDecoder decoder;
    std::vector<Command> req;
    REQUIRE(decoder.Feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), req).ok());
    FrameConn conn(ns->port());
    REQUIRE(conn.SendBytes(bytes));
    auto resp = conn.Read();
    INFO(entry.path().string());
    REQUIRE(resp.has_value());
    // C++ and ali-ons read the whole header word as a length: the serialize byte must be 0.
    CHECK((conn.last_header_word() >> 24) == 0);
    CHECK(resp->opaque == req[0].opaque);
    CHECK(resp->is_response());
    if (req[0].code == remoting::RequestCode::kGetRouteinfoByTopic) {
      CHECK(resp->code == ToInt(ResponseCode::kTopicNotExist));  // no broker registered here
    } else {
      CHECK(resp->code == ToInt(ResponseCode::kSuccess));
    }
    ++answered;
  }
  CHECK(answered > 10);
}

TEST_CASE("a broker's routes vanish the moment its registering connection closes") {
  TempDir home;
  auto ns = StartNamesrv(home);
  const std::string reg = ReadFile(FixturesDir() + "/java-4.9.8/0001-broker2namesrv-103.bin");
  auto broker = std::make_unique<FrameConn>(ns->port());
  REQUIRE(broker->SendBytes(reg));
  auto ack = broker->Read();
  REQUIRE(ack.has_value());
  REQUIRE(ack->code == 0);

  FrameConn client(ns->port());
  auto route = Request(remoting::RequestCode::kGetRouteinfoByTopic, {{"topic", "TBW102"}});
  REQUIRE(client.Send(route));
  auto before = client.Read();
  REQUIRE(before.has_value());
  CHECK(before->code == 0);
  CHECK(before->body.find("127.0.0.1:30911") != std::string::npos);

  broker.reset();  // the broker process "dies"
  const int32_t not_exist = ToInt(ResponseCode::kTopicNotExist);
  CHECK(PollRouteCode(client, route, not_exist) == not_exist);
  FrameConn info(ns->port());
  REQUIRE(info.Send(Request(remoting::RequestCode::kGetBrokerClusterInfo)));
  auto cluster = info.Read();
  REQUIRE(cluster.has_value());
  CHECK(cluster->body == R"({"brokerAddrTable":{},"clusterAddrTable":{}})");
}

TEST_CASE("a broker that stops registering expires") {
  TempDir home;
  // Expiry shortened from 120 s so the test stays fast; the logic is the same.
  auto ns = StartNamesrv(home, {"brokerChannelExpiredTime=300", "scanNotActiveBrokerInterval=100"});
  FrameConn broker(ns->port());
  REQUIRE(broker.SendBytes(ReadFile(FixturesDir() + "/java-4.9.8/0001-broker2namesrv-103.bin")));
  REQUIRE(broker.Read().has_value());
  FrameConn client(ns->port());
  auto route = Request(remoting::RequestCode::kGetRouteinfoByTopic, {{"topic", "TBW102"}});
  const int32_t not_exist = ToInt(ResponseCode::kTopicNotExist);
  CHECK(PollRouteCode(client, route, not_exist) == not_exist);
}

TEST_CASE("bad frames close only their own connection; unknown codes get code 3") {
  TempDir home;
  auto ns = StartNamesrv(home);
  FrameConn good(ns->port());
  FrameConn bad(ns->port());
  FrameConn huge(ns->port());
  // Header length larger than the frame.
  REQUIRE(bad.SendBytes(std::string("\x00\x00\x00\x10\x00\x00\x10\x00garbagegarbage!!", 20)));
  CHECK(bad.WaitClosed());
  // A 1 GiB frame announcement is refused before anything is allocated.
  REQUIRE(huge.SendBytes(std::string("\x40\x00\x00\x00\x00\x00\x00\x10", 8)));
  CHECK(huge.WaitClosed());

  auto unknown = Request(9999);
  REQUIRE(good.Send(unknown));
  auto resp = good.Read();
  REQUIRE(resp.has_value());
  CHECK(resp->code == ToInt(ResponseCode::kRequestCodeNotSupported));
  CHECK(resp->opaque == unknown.opaque);

  auto oneway = Request(9999);
  oneway.flag |= remoting::kFlagOneway;
  REQUIRE(good.Send(oneway));
  CHECK_FALSE(good.Read(300).has_value());  // never answered

  // A missing required field is an error answer, not a crash.
  REQUIRE(good.Send(Request(remoting::RequestCode::kGetRouteinfoByTopic)));
  auto missing = good.Read();
  REQUIRE(missing.has_value());
  CHECK(missing->code == ToInt(ResponseCode::kSystemError));
}

TEST_CASE("KV config is served and survives a restart") {
  TempDir home;
  {
    auto ns = StartNamesrv(home);
    FrameConn c(ns->port());
    REQUIRE(c.Send(Request(remoting::RequestCode::kPutKvConfig,
                           {{"namespace", "ORDER_TOPIC_CONFIG"}, {"key", "T"}, {"value", "broker-a:4"}})));
    REQUIRE(c.Read()->code == 0);
    ns->Terminate();
  }
  auto ns = StartNamesrv(home);
  FrameConn c(ns->port());
  REQUIRE(c.Send(Request(remoting::RequestCode::kGetKvConfig, {{"namespace", "ORDER_TOPIC_CONFIG"}, {"key", "T"}})));
  auto got = c.Read();
  REQUIRE(got.has_value());
  CHECK(got->code == 0);
  REQUIRE(got->ext_fields.Find("value") != nullptr);
  CHECK(*got->ext_fields.Find("value") == "broker-a:4");
  REQUIRE(c.Send(Request(remoting::RequestCode::kGetKvlistByNamespace, {{"namespace", "ORDER_TOPIC_CONFIG"}})));
  CHECK(c.Read()->body == R"({"table":{"T":"broker-a:4"}})");
  REQUIRE(c.Send(Request(remoting::RequestCode::kDeleteKvConfig, {{"namespace", "ORDER_TOPIC_CONFIG"}, {"key", "T"}})));
  REQUIRE(c.Read()->code == 0);
  REQUIRE(c.Send(Request(remoting::RequestCode::kGetKvConfig, {{"namespace", "ORDER_TOPIC_CONFIG"}, {"key", "T"}})));
  CHECK(c.Read()->code == ToInt(ResponseCode::kQueryNotFound));
}

TEST_CASE("the name server refuses remote configuration changes") {
  TempDir home;
  auto ns = StartNamesrv(home);
  FrameConn c(ns->port());
  auto req = Request(remoting::RequestCode::kUpdateNamesrvConfig);
  req.body = "kvConfigPath=/tmp/evil\n";
  REQUIRE(c.Send(req));
  auto resp = c.Read();
  REQUIRE(resp.has_value());
  CHECK(resp->code == ToInt(ResponseCode::kNoPermission));
}

TEST_CASE("mq shutdown namesrv stops the instance named by its pid file") {
  TempDir home;
  auto ns = StartNamesrv(home);
  const std::string pid_file = home.path() + "/namesrv.pid";
  REQUIRE(std::filesystem::exists(pid_file));
  const std::string cmd = MqBinary() + " shutdown namesrv --pid-file " + pid_file + " --wait-ms 10000 >/dev/null";
  CHECK(std::system(cmd.c_str()) == 0);
  CHECK(ns->Terminate(2000) == 0);  // already gone: reaped with exit status 0
  CHECK_FALSE(std::filesystem::exists(pid_file));
}

namespace {

std::string InteropDir() {
  const char* dir = std::getenv("MQ_INTEROP_DIR");
  return dir ? dir : "tests/interop";
}

bool AliOnsInstalled() {
  return std::filesystem::exists(InteropDir() + "/node_modules/ali-ons/package.json") &&
         std::system("node --version >/dev/null 2>&1") == 0;
}

}  // namespace

// scripts/test.sh installs ali-ons (npm) when node is present; without it this case is skipped.
TEST_CASE("a real RocketMQ client (ali-ons 3.12.0) reads routes from mq" * doctest::skip(!AliOnsInstalled())) {
  TempDir home;
  auto ns = StartNamesrv(home);
  FrameConn broker(ns->port());
  REQUIRE(broker.SendBytes(ReadFile(FixturesDir() + "/java-4.9.8/0001-broker2namesrv-103.bin")));
  REQUIRE(broker.Read().has_value());
  const std::string cmd = "node " + InteropDir() + "/ali_ons_route.js " + ns->address() +
                          " TBW102 no_such_topic_here 2>&1";
  FILE* out = popen(cmd.c_str(), "r");
  REQUIRE(out != nullptr);
  std::string text;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), out)) text.append(buf, n);
  const int status = pclose(out);
  INFO(text);
  CHECK(status == 0);
  CHECK(text.find(R"("brokerAddrs":{"0":"127.0.0.1:30911"})") != std::string::npos);
}
