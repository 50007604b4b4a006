// The local default (`mq` alone: name server + broker in one process) serving raw frames and a real
// third-party client, ali-ons 3.12.0 (Producer, clustering and broadcasting PushConsumers, retry).
#include "integration/broker_test_util.h"

using namespace mq;
using namespace mq::testing;
using namespace mq::testing::broker_it;

TEST_CASE("the local default runs a name server and a broker in one process") {
  TempDir home;
  MqProcess local({"--namesrv-port", "0", "-p", "0", "--smp", "2", "mappedFileSizeCommitLog=4194304",
                   "mappedFileSizeConsumeQueue=6000"},
                  home.path(), 20000);
  REQUIRE(local.started());  // the first boot line is the name server's
  // The broker's address comes from the name server, as a client would learn it.
  std::string broker_addr;
  for (int i = 0; i < 100 && broker_addr.empty(); ++i) {
    auto r = Route(local.port(), "TBW102");
    if (r && r->code == kOk) {
      rapidjson::Document doc;
      REQUIRE(remoting::ParseFastjson(r->body, doc).ok());
      broker_addr = doc["brokerDatas"][0]["brokerAddrs"]["0"].GetString();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  REQUIRE(!broker_addr.empty());
  const uint16_t broker_port = static_cast<uint16_t>(std::stoi(broker_addr.substr(broker_addr.rfind(':') + 1)));
  FrameConn c(broker_port);
  // autoCreateTopicEnable=true: the first send creates the topic from TBW102.
  auto sent = Call(c, WithBody(SendV2("LocalTopic", 0, "local hello"), "local hello"));
  REQUIRE(sent.has_value());
  CHECK(sent->code == kOk);
  auto recs = PullAll(c, "LocalTopic", 0);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].body == "local hello");
  CHECK(WaitForRoute(local.port(), "LocalTopic", broker_addr, 5000));
  CHECK(std::filesystem::exists(home.path() + "/store/commitlog"));
  CHECK(local.Terminate() == 0);
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
TEST_CASE("ali-ons 3.12.0 produces and consumes (clustering, broadcasting, retry) against the local default" *
          doctest::skip(!AliOnsInstalled())) {
  TempDir home;
  // Short delay levels: a retry (level 3 + reconsumeTimes) comes back after 1 s instead of 10 s.
  MqProcess local({"--namesrv-port", "0", "-p", "0", "--smp", "2", "mappedFileSizeCommitLog=4194304",
                   "mappedFileSizeConsumeQueue=6000", "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"},
                  home.path(), 20000);
  REQUIRE(local.started());
  std::string broker_addr;
  for (int i = 0; i < 100 && broker_addr.empty(); ++i) {
    auto r = Route(local.port(), "TBW102");
    if (r && r->code == kOk) {
      rapidjson::Document doc;
      REQUIRE(remoting::ParseFastjson(r->body, doc).ok());
      broker_addr = doc["brokerDatas"][0]["brokerAddrs"]["0"].GetString();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  REQUIRE(!broker_addr.empty());
  FrameConn admin(static_cast<uint16_t>(std::stoi(broker_addr.substr(broker_addr.rfind(':') + 1))));
  REQUIRE(Call(admin, CreateTopic("ons_e2e_topic", 4))->code == kOk);

  const std::string cmd = "node " + InteropDir() + "/ali_ons_e2e.js " + local.address() + " ons_e2e_topic 2>&1";
  FILE* out = popen(cmd.c_str(), "r");
  REQUIRE(out != nullptr);
  std::string text;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), out)) text.append(buf, n);
  const int status = pclose(out);
  INFO(text);
  CHECK(status == 0);
  CHECK(text.find(R"("broadcast":["body-0","body-1","body-2","body-3","body-4","body-5"])") != std::string::npos);
  CHECK(text.find(R"("body-0":[0,1])") != std::string::npos);  // failed once, redelivered once
  CHECK(text.find(R"("body-2":[0])") != std::string::npos);
}
