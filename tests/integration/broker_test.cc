// The broker as a real process next to a real name server: registration, admin requests (replayed
// from the captured Java conversation and compared with the 4.9.8 broker's answers), send and pull
// over the wire, bad input, crash recovery, restart and shutdown tooling.
#include <chrono>
#include <thread>

#include "integration/broker_test_util.h"

using namespace mq;
using namespace mq::testing;
using namespace mq::testing::broker_it;

TEST_CASE("the broker registers, creates topics, stores and serves messages on both ports") {
  TempDir home;
  auto ns = StartNamesrv(home);
  auto broker = StartBroker(home, ns->address());
  const std::string addr = "127.0.0.1:" + std::to_string(broker->port());
  CHECK(broker->boot_line().find("The broker[broker-t, " + addr + "] boot success.") != std::string::npos);
  REQUIRE(WaitForRoute(ns->port(), "TBW102", addr, 5000));

  FrameConn c(broker->port());
  auto created = Call(c, CreateTopic("BrokerTestTopic"));
  REQUIRE(created.has_value());
  CHECK(created->code == kOk);
  // The answer comes after the registration: the route is there at once.
  auto route = Route(ns->port(), "BrokerTestTopic");
  REQUIRE(route.has_value());
  CHECK(route->code == kOk);
  CHECK(route->body.find(addr) != std::string::npos);

  std::vector<std::string> bodies = {"hello", std::string(3000, 'x'), "third \x01\x02 body"};
  for (size_t i = 0; i < bodies.size(); ++i) {
    auto sent = Call(c, WithBody(SendV2("BrokerTestTopic", 1, bodies[i]), bodies[i]));
    REQUIRE(sent.has_value());
    CHECK(sent->code == kOk);
    CHECK(Field(*sent, "queueOffset") == std::to_string(i));
    CHECK(!Field(*sent, "msgId").empty());
  }
  auto recs = PullAll(c, "BrokerTestTopic", 1);
  REQUIRE(recs.size() == bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    CHECK(recs[i].body == bodies[i]);
    CHECK(recs[i].topic == "BrokerTestTopic");
  }
  auto max = Call(c, Req(rc::kGetMaxOffset, {{"topic", "BrokerTestTopic"}, {"queueId", "1"}}));
  REQUIRE(max.has_value());
  CHECK(Field(*max, "offset") == "3");
  auto commit = Req(rc::kUpdateConsumerOffset, {{"consumerGroup", "broker_test_consumer"}, {"topic", "BrokerTestTopic"},
                                                {"queueId", "1"}, {"commitOffset", "2"}});
  REQUIRE(Call(c, commit).has_value());
  auto queried = Call(c, Req(rc::kQueryConsumerOffset, {{"consumerGroup", "broker_test_consumer"},
                                                        {"topic", "BrokerTestTopic"}, {"queueId", "1"}}));
  REQUIRE(queried.has_value());
  CHECK(queried->code == kOk);
  CHECK(Field(*queried, "offset") == "2");

  // The fast port: same handlers, except PULL_MESSAGE.
  FrameConn fast(static_cast<uint16_t>(broker->port() - 2));
  REQUIRE(fast.connected());
  auto fast_send = Call(fast, WithBody(SendV2("BrokerTestTopic", 2, "via fast port"), "via fast port"));
  REQUIRE(fast_send.has_value());
  CHECK(fast_send->code == kOk);
  auto fast_pull = Call(fast, PullReq("BrokerTestTopic", 2, 0));
  REQUIRE(fast_pull.has_value());
  CHECK(fast_pull->code == ToInt(ResponseCode::kRequestCodeNotSupported));

  // Admin reads.
  auto topics = Call(c, Req(rc::kGetAllTopicConfig));
  REQUIRE(topics.has_value());
  CHECK(topics->body.find("\"BrokerTestTopic\"") != std::string::npos);
  CHECK(topics->body.find("\"dataVersion\"") != std::string::npos);
  // msgPutTotalTodayNow counts dispatched messages: dispatch follows the send answers, so wait (bounded).
  rapidjson::Document doc;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto info = Call(c, Req(rc::kGetBrokerRuntimeInfo));
    REQUIRE(info.has_value());
    REQUIRE(remoting::ParseFastjson(info->body, doc).ok());
    if (std::stoll(doc["table"]["msgPutTotalTodayNow"].GetString()) >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto& table = doc["table"];
  CHECK(std::string(table["brokerVersionDesc"].GetString()) == "V4_9_8");
  CHECK(std::string(table["brokerVersion"].GetString()) == "409");
  CHECK(std::stoll(table["msgPutTotalTodayNow"].GetString()) >= 4);
  CHECK(std::stoll(table["commitLogMaxOffset"].GetString()) > 0);
  CHECK(std::string(table["runtime"].GetString()).rfind("[ 0 days, ", 0) == 0);
  auto config = Call(c, Req(rc::kGetBrokerConfig));
  REQUIRE(config.has_value());
  CHECK(config->body.find("brokerName=broker-t\n") != std::string::npos);
  CHECK(Field(*config, "version").find("\"counter\"") != std::string::npos);

  // Subscription groups: create, list, delete.
  auto group = Req(rc::kUpdateAndCreateSubscriptiongroup);
  group.body = R"({"groupName":"admin_group_1","consumeEnable":true,"retryMaxTimes":3})";
  auto g = Call(c, group);
  REQUIRE(g.has_value());
  CHECK(g->code == kOk);
  auto groups = Call(c, Req(rc::kGetAllSubscriptiongroupConfig));
  REQUIRE(groups.has_value());
  CHECK(groups->body.find("\"admin_group_1\"") != std::string::npos);
  REQUIRE(Call(c, Req(rc::kDeleteSubscriptiongroup, {{"groupName", "admin_group_1"}}))->code == kOk);
  CHECK(Call(c, Req(rc::kGetAllSubscriptiongroupConfig))->body.find("\"admin_group_1\"") == std::string::npos);

  // Remote config changes are refused (CVE-2023-33246).
  auto update = Req(rc::kUpdateBrokerConfig);
  update.body = "storePathRootDir=/tmp/evil\n";
  auto refused = Call(c, update);
  REQUIRE(refused.has_value());
  CHECK(refused->code == ToInt(ResponseCode::kNoPermission));
  CHECK(refused->remark.value_or("").find("CVE-2023-33246") != std::string::npos);

  // System topics cannot be created or deleted; a deleted topic's queues are gone.
  CHECK(Call(c, CreateTopic("SCHEDULE_TOPIC_XXXX"))->code == ToInt(ResponseCode::kSystemError));
  CHECK(Call(c, Req(rc::kDeleteTopicInBroker, {{"topic", "TBW102"}}))->code == ToInt(ResponseCode::kSystemError));
  REQUIRE(Call(c, Req(rc::kDeleteTopicInBroker, {{"topic", "BrokerTestTopic"}}))->code == kOk);
  CHECK(Call(c, Req(rc::kGetAllTopicConfig))->body.find("\"BrokerTestTopic\"") == std::string::npos);
  auto gone = Call(c, PullReq("BrokerTestTopic", 1, 0));
  REQUIRE(gone.has_value());
  CHECK(gone->code == ToInt(ResponseCode::kTopicNotExist));
}

TEST_CASE("replayed Java admin requests get the 4.9.8 broker's answer codes and header fields") {
  TempDir home;
  auto ns = StartNamesrv(home);
  auto broker = StartBroker(home, ns->address());
  const std::string dir = FixturesDir() + "/java-4.9.8";
  rapidjson::Document index;
  REQUIRE(remoting::ParseFastjson(ReadFile(dir + "/index.json"), index).ok());
  const std::set<int> admin_codes = {17, 21, 25, 26, 28, 200, 201, 207, 215};
  int compared = 0;
  for (const auto& frame : index["frames"].GetArray()) {
    if (std::string(frame["direction"].GetString()) != "client->broker" || !frame.HasMember("request_code")) continue;
    if (admin_codes.count(frame["request_code"].GetInt()) == 0 || !frame.HasMember("response_file")) continue;
    FrameConn conn(broker->port());
    const std::string file = frame["file"].GetString();
    REQUIRE(conn.SendBytes(ReadFile(dir + "/" + file)));
    const std::string expected_bytes = ReadFile(dir + "/" + frame["response_file"].GetString());
    remoting::FrameDecoder decoder;
    std::vector<Command> expected;
    REQUIRE(decoder.Feed(reinterpret_cast<const uint8_t*>(expected_bytes.data()), expected_bytes.size(), expected).ok());
    auto got = conn.Read(8000);
    INFO("request ", file);
    REQUIRE(got.has_value());
    CHECK(got->code == expected[0].code);
    CHECK(got->opaque == expected[0].opaque);
    CHECK(got->serialize_type == expected[0].serialize_type);
    for (const auto& [k, v] : expected[0].ext_fields) CHECK_MESSAGE(got->ext_fields.Find(k) != nullptr, "missing ", k);
    if (frame["request_code"].GetInt() == rc::kGetBrokerRuntimeInfo) {
      // The keys mqadmin clusterList reads (spec 3.5) are all there.
      rapidjson::Document doc;
      REQUIRE(remoting::ParseFastjson(got->body, doc).ok());
      for (const char* key : {"brokerVersionDesc", "brokerVersion", "msgPutTotalYesterdayMorning",
                              "msgPutTotalTodayMorning", "msgPutTotalTodayNow", "msgGetTotalYesterdayMorning",
                              "msgGetTotalTodayMorning", "msgGetTotalTodayNow", "putTps", "getTransferedTps",
                              "sendThreadPoolQueueSize", "pullThreadPoolQueueSize", "earliestMessageTimeStamp",
                              "commitLogDiskRatio", "pageCacheLockTimeMills", "commitLogMinOffset",
                              "commitLogMaxOffset", "bootTimestamp", "runtime"}) {
        CHECK_MESSAGE(doc["table"].HasMember(key), "runtime info lacks ", key);
      }
    }
    if (frame["request_code"].GetInt() == rc::kGetBrokerConfig) {
      // Every key we print is one the reference prints too.
      std::set<std::string> real;
      size_t pos = 0;
      while (pos < expected[0].body.size()) {
        size_t end = expected[0].body.find('\n', pos);
        if (end == std::string::npos) end = expected[0].body.size();
        real.insert(expected[0].body.substr(pos, expected[0].body.find('=', pos) - pos));
        pos = end + 1;
      }
      for (const char* key : {"brokerName", "brokerClusterName", "listenPort", "namesrvAddr", "storePathRootDir",
                              "autoCreateTopicEnable", "flushDiskType", "brokerRole"}) {
        CHECK(real.count(key) == 1);
        CHECK(got->body.find(std::string(key) + "=") != std::string::npos);
      }
    }
    ++compared;
  }
  CHECK(compared >= 10);
}

TEST_CASE("bad input gets error answers or closes only its own connection") {
  TempDir home;
  auto ns = StartNamesrv(home);
  auto broker = StartBroker(home, ns->address(), {"autoCreateTopicEnable=false"});
  FrameConn good(broker->port());
  FrameConn bad(broker->port());
  REQUIRE(bad.SendBytes(std::string("\x00\x00\x00\x10\x00\x00\x10\x00garbagegarbage!!", 20)));  // header > frame
  CHECK(bad.WaitClosed());

  auto unknown = Call(good, Req(9999));
  REQUIRE(unknown.has_value());
  CHECK(unknown->code == ToInt(ResponseCode::kRequestCodeNotSupported));

  // Missing required fields and wrong types are answered, never a crash.
  auto no_topic = Call(good, Req(rc::kUpdateAndCreateTopic, {{"readQueueNums", "4"}}));
  REQUIRE(no_topic.has_value());
  CHECK(no_topic->code == ToInt(ResponseCode::kSystemError));
  auto bad_type = Call(good, Req(rc::kGetMaxOffset, {{"topic", "TBW102"}, {"queueId", "not-a-number"}}));
  REQUIRE(bad_type.has_value());
  CHECK(bad_type->code != kOk);
  auto bad_group = Req(rc::kUpdateAndCreateSubscriptiongroup);
  bad_group.body = "{not json";
  CHECK(Call(good, bad_group)->code == ToInt(ResponseCode::kSystemError));
  auto bad_send = SendV2("TBW102", 0, "x");
  bad_send.ext_fields.Set("e", "zero");
  bad_send.body = "x";
  auto bs = Call(good, bad_send);
  REQUIRE(bs.has_value());
  CHECK(bs->code != kOk);

  // An unknown topic with autoCreateTopicEnable=false.
  auto unknown_topic = Call(good, WithBody(SendV2("NoSuchTopicHere", 0, "x"), "x"));
  REQUIRE(unknown_topic.has_value());
  CHECK(unknown_topic->code == ToInt(ResponseCode::kTopicNotExist));
  CHECK(!unknown_topic->remark.value_or("").empty());

  // Still serving everyone.
  FrameConn later(broker->port());
  auto ok = Call(later, Req(rc::kGetBrokerRuntimeInfo));
  REQUIRE(ok.has_value());
  CHECK(ok->code == kOk);
}

TEST_CASE("after kill -9 every acknowledged SYNC_FLUSH message is still pullable") {
  TempDir home;
  auto ns = StartNamesrv(home);
  const std::vector<std::string> sync = {"flushDiskType=SYNC_FLUSH"};
  std::vector<std::string> acked;
  {
    auto broker = StartBroker(home, ns->address(), sync);
    FrameConn c(broker->port());
    REQUIRE(Call(c, CreateTopic("CrashTopic", 1))->code == kOk);
    for (int i = 0; i < 200; ++i) {
      const std::string body = "durable-" + std::to_string(i);
      auto r = Call(c, WithBody(SendV2("CrashTopic", 0, body), body));
      REQUIRE(r.has_value());
      if (r->code == kOk) acked.push_back(body);
    }
    broker->Kill();
  }
  REQUIRE(acked.size() == 200);
  auto broker = StartBroker(home, ns->address(), sync);
  FrameConn c(broker->port());
  auto recs = PullAll(c, "CrashTopic", 0);
  std::set<std::string> got;
  for (const auto& r : recs) got.insert(r.body);
  for (const auto& body : acked) CHECK_MESSAGE(got.count(body) == 1, "lost ", body);
}

TEST_CASE("mq shutdown broker stops it cleanly; topics survive the restart") {
  TempDir home;
  auto ns = StartNamesrv(home);
  auto broker = StartBroker(home, ns->address());
  {
    FrameConn c(broker->port());
    REQUIRE(Call(c, CreateTopic("KeptTopic", 2))->code == kOk);
  }
  const std::string pid_file = home.path() + "/broker.pid";
  REQUIRE(std::filesystem::exists(pid_file));
  const std::string cmd = MqBinary() + " shutdown broker --pid-file " + pid_file + " --wait-ms 15000 >/dev/null";
  CHECK(std::system(cmd.c_str()) == 0);
  CHECK(broker->Terminate(2000) == 0);
  CHECK_FALSE(std::filesystem::exists(pid_file));
  // It unregistered: the name server no longer routes to it.
  auto route = Route(ns->port(), "KeptTopic");
  REQUIRE(route.has_value());
  CHECK(route->code == ToInt(ResponseCode::kTopicNotExist));

  auto again = StartBroker(home, ns->address());
  FrameConn c(again->port());
  CHECK(Call(c, Req(rc::kGetAllTopicConfig))->body.find("\"KeptTopic\"") != std::string::npos);
  CHECK(WaitForRoute(ns->port(), "KeptTopic", "127.0.0.1:" + std::to_string(again->port()), 5000));
}

TEST_CASE("a broker started while its name server is down registers once it is up") {
  TempDir home;
  uint16_t ns_port = 0;
  {
    auto probe = StartNamesrv(home);  // learn a free port, then free it
    ns_port = probe->port();
    probe->Terminate();
  }
  const std::string ns_addr = "127.0.0.1:" + std::to_string(ns_port);
  auto broker = StartBroker(home, ns_addr);
  FrameConn c(broker->port());
  CHECK(Call(c, Req(rc::kGetBrokerRuntimeInfo))->code == kOk);  // serving meanwhile
  auto ns = std::make_unique<MqProcess>(std::vector<std::string>{"--role=namesrv", "-p", std::to_string(ns_port),
                                                                 "--bind", "127.0.0.1", "--smp", "1", "--pid-file",
                                                                 home.path() + "/namesrv2.pid"},
                                        home.path());
  REQUIRE(ns->started());
  // The first repeat comes 10 s after start (spec 7.1).
  CHECK(WaitForRoute(ns_port, "TBW102", "127.0.0.1:" + std::to_string(broker->port()), 20000));
}
