// INVOKE_BROKER_TO_RESET_OFFSET (222) on a real 2-shard MessageStore + ControlPlane with fake
// connections: committed offsets move to the timestamp's offsets (forced or only backwards), the
// answer's ResetOffsetBody parses, every online client of the group gets a oneway 220 with the same
// body on its own shard (the list form when a CPP tool asked), and the reference's refusals
// (missing fields, unknown topic, unknown group, group offline, client too old) change nothing.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <thread>

#include "broker/processors/reset_offset_processor.h"
#include "mq/version.h"
#include "remoting/request_code.h"
#include "support/broker_fixture.h"

using namespace mq;
using namespace mq::broker;
using remoting::Command;
using mq::testing::Ext;
using mq::testing::FakeConnection;
using mq::testing::ParseQueueMap;
using mq::testing::QueueKey;
using mq::testing::Record;
using mq::testing::WaitFor;
namespace rc = remoting::RequestCode;

namespace {

struct ResetFixture : mq::testing::BrokerFixture {
  ResetFixture() {
    RegisterResetOffsetProcessor(*ctx, table);
    control->clients().Register(table);
  }
  // A consumer client of `group` subscribed to `topic`, reached through `conn`.
  void Online(const std::string& group, const std::string& topic, const std::shared_ptr<FakeConnection>& conn,
              int32_t version = kRocketmqVersionOrdinal) {
    mq::testing::RunOn(*shards, 0, [&] {
      ConsumerData d;
      d.group = group;
      auto s = ParseSubscription(topic, "*", "TAG");
      d.subscriptions.push_back(*s);
      ConsumerClient c{"10.0.0.5@" + std::to_string(conn->id()), conn, conn->id(), conn->peer_address(), "JAVA",
                       version, 1700000000000};
      control->clients().consumers().RegisterConsumer(d, c, 1700000000000);
    });
  }
  std::vector<int64_t> CommittedAll(const std::string& topic, const std::string& group, int32_t queues) {
    std::vector<int64_t> out;
    for (int32_t q = 0; q < queues; ++q) out.push_back(Committed(topic, group, q));
    return out;
  }
};

Command Reset(std::map<std::string, std::string> fields, const std::string& language = "JAVA") {
  Command c = Command::Request(rc::kInvokeBrokerToResetOffset);
  c.opaque = 77;
  c.language = language;
  for (auto& [k, v] : fields) c.ext_fields.Set(k, v);
  return c;
}

Command Reset(const std::string& topic, const std::string& group, int64_t timestamp_ms, bool force) {
  return Reset({{"topic", topic}, {"group", group}, {"timestamp", std::to_string(timestamp_ms)},
                {"isForce", force ? "true" : "false"}});
}

// The offsets of a ResetOffsetBody, by queue id (all for `topic` on this broker).
std::map<int32_t, int64_t> BodyOffsets(const std::string& body, const std::string& broker, const std::string& topic) {
  const std::string prefix = "{\"offsetTable\":";
  REQUIRE(body.rfind(prefix, 0) == 0);
  size_t pos = prefix.size();
  std::map<int32_t, int64_t> out;
  for (const auto& [key, value] : ParseQueueMap(body, pos)) {
    CHECK(key.broker == broker);
    CHECK(key.topic == topic);
    out[key.queue_id] = std::stoll(value);
  }
  CHECK(body.substr(pos) == "}");
  return out;
}

std::vector<Command> Received(const FakeConnection& conn, int32_t code) {
  std::vector<Command> out;
  for (auto& c : conn.sent()) {
    if (c.code == code && !c.is_response()) out.push_back(c);
  }
  return out;
}

}  // namespace

TEST_CASE("reset offset: offsets land, the answer parses, online clients get 220") {
  ResetFixture f;
  f.CreateTopic("T", 4);
  // Three messages per queue with distinct store times; the group consumed everything.
  std::vector<int64_t> times;  // store times of the messages of queue 0
  for (int i = 0; i < 3; ++i) {
    for (int32_t q = 0; q < 4; ++q) {
      auto put = f.Put(Record("T", q, "m" + std::to_string(q) + "-" + std::to_string(i)));
      if (q == 0) times.push_back(put.store_timestamp_ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  REQUIRE(times[0] < times[1]);
  for (int32_t q = 0; q < 4; ++q) f.Commit("T", "G", q, 3);
  auto c1 = std::make_shared<FakeConnection>(11, 1, "10.0.0.5:4001");
  auto c2 = std::make_shared<FakeConnection>(12, 0, "10.0.0.6:4002");
  f.Online("G", "T", c1);
  f.Online("G", "T", c2);
  const std::string broker = f.config->broker_name;

  for (uint32_t shard : {0u, 1u}) {
    CAPTURE(shard);
    for (int32_t q = 0; q < 4; ++q) f.Commit("T", "G", q, 3);
    auto admin = std::make_shared<FakeConnection>(1 + shard, shard);
    const size_t before1 = Received(*c1, rc::kResetConsumerClientOffset).size();
    const size_t before2 = Received(*c2, rc::kResetConsumerClientOffset).size();

    // Before every message: back to 0 on every queue.
    Command r = f.Call(admin, Reset("T", "G", times[0] - 1000, true));
    REQUIRE(r.code == 0);
    CHECK(r.opaque == 77);
    CHECK(r.is_response());
    auto offsets = BodyOffsets(r.body, broker, "T");
    CHECK(offsets == std::map<int32_t, int64_t>{{0, 0}, {1, 0}, {2, 0}, {3, 0}});
    CHECK(f.CommittedAll("T", "G", 4) == std::vector<int64_t>{0, 0, 0, 0});

    // Each client got one oneway 220 with the header fields and the same body, on its own shard.
    REQUIRE(WaitFor([&] {
      return Received(*c1, rc::kResetConsumerClientOffset).size() == before1 + 1 &&
             Received(*c2, rc::kResetConsumerClientOffset).size() == before2 + 1;
    }));
    for (const auto& conn : {c1, c2}) {
      const Command n = Received(*conn, rc::kResetConsumerClientOffset).back();
      CHECK(n.is_oneway());
      CHECK(Ext(n, "topic") == "T");
      CHECK(Ext(n, "group") == "G");
      CHECK(Ext(n, "timestamp") == std::to_string(times[0] - 1000));
      CHECK(Ext(n, "isForce") == "false");  // as the reference: never set on the client request
      CHECK(n.body == r.body);
      CHECK(conn->wrong_shard() == 0);
    }
    CHECK(admin->wrong_shard() == 0);
  }

  auto admin = std::make_shared<FakeConnection>(3, 1);
  // timestamp -1 is the max offset; not forced, a later offset leaves the committed one.
  Command r = f.Call(admin, Reset("T", "G", -1, false));
  REQUIRE(r.code == 0);
  CHECK(BodyOffsets(r.body, broker, "T") == std::map<int32_t, int64_t>{{0, 0}, {1, 0}, {2, 0}, {3, 0}});
  CHECK(f.CommittedAll("T", "G", 4) == std::vector<int64_t>{0, 0, 0, 0});
  r = f.Call(admin, Reset("T", "G", -1, true));
  REQUIRE(r.code == 0);
  CHECK(BodyOffsets(r.body, broker, "T") == std::map<int32_t, int64_t>{{0, 3}, {1, 3}, {2, 3}, {3, 3}});
  CHECK(f.CommittedAll("T", "G", 4) == std::vector<int64_t>{3, 3, 3, 3});

  // The second message's store time: queue 0 moves back to 1 without force (1 < 3).
  f.Commit("T", "G", 1, 0);  // below the target: kept when not forced
  r = f.Call(admin, Reset("T", "G", times[1], false));
  REQUIRE(r.code == 0);
  auto offsets = BodyOffsets(r.body, broker, "T");
  CHECK(offsets.at(0) == 1);
  CHECK(offsets.at(1) == 0);
  CHECK(f.Committed("T", "G", 0) == 1);
  CHECK(f.Committed("T", "G", 1) == 0);

  // A CPP tool: the clients get the list form; the answer stays the map form.
  const size_t before = Received(*c1, rc::kResetConsumerClientOffset).size();
  r = f.Call(admin, Reset({{"topic", "T"}, {"group", "G"}, {"timestamp", "-1"}, {"isForce", "true"}}, "CPP"));
  REQUIRE(r.code == 0);
  CHECK(BodyOffsets(r.body, broker, "T").at(2) == 3);
  REQUIRE(WaitFor([&] { return Received(*c1, rc::kResetConsumerClientOffset).size() == before + 1; }));
  rapidjson::Document d;
  d.Parse(Received(*c1, rc::kResetConsumerClientOffset).back().body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d["offsetTable"].IsArray());
  REQUIRE(d["offsetTable"].Size() == 4);
  for (rapidjson::SizeType i = 0; i < 4; ++i) {
    const auto& e = d["offsetTable"][i];
    CHECK(std::string(e["brokerName"].GetString()) == broker);
    CHECK(std::string(e["topic"].GetString()) == "T");
    CHECK(e["queueId"].GetInt() == static_cast<int>(i));
    CHECK(e["offset"].GetInt64() == 3);
  }

  // Oneway: no answer, the reset still happens.
  Command oneway = Reset("T", "G", times[0] - 1000, true);
  oneway.flag = remoting::kFlagOneway;
  const size_t frames = admin->count();
  f.Dispatch(admin, oneway);
  REQUIRE(WaitFor([&] { return f.CommittedAll("T", "G", 4) == std::vector<int64_t>{0, 0, 0, 0}; }));
  r = f.Call(admin, Reset("T", "G", -1, false));  // a later answer is the next frame: none in between
  CHECK(admin->count() == frames + 1);
}

TEST_CASE("reset offset: refusals answer the reference's codes and change nothing") {
  ResetFixture f;
  f.CreateTopic("T", 2);
  for (int32_t q = 0; q < 2; ++q) {
    f.Put(Record("T", q, "a" + std::to_string(q)));
    f.Put(Record("T", q, "b" + std::to_string(q)));
    f.Commit("T", "G", q, 2);
    f.Commit("T", "Old", q, 2);
  }
  auto admin = std::make_shared<FakeConnection>(1, 1);
  auto check = [&](Command req, int32_t code, const std::string& remark) {
    CAPTURE(remark);
    Command r = f.Call(admin, std::move(req));
    CHECK(r.is_response());
    CHECK(r.code == code);
    CHECK(r.remark.value_or("") == remark);
    CHECK(r.body.empty());
  };
  // Required header fields, in the reference's order.
  check(Reset({{"group", "G"}, {"timestamp", "0"}, {"isForce", "true"}}), 1, "the custom field <topic> is null");
  check(Reset({{"topic", "T"}, {"timestamp", "0"}, {"isForce", "true"}}), 1, "the custom field <group> is null");
  check(Reset({{"topic", "T"}, {"group", "G"}, {"isForce", "true"}}), 1, "the custom field <timestamp> is null");
  check(Reset({{"topic", "T"}, {"group", "G"}, {"timestamp", "0"}}), 1, "the custom field <isForce> is null");
  check(Reset({{"topic", "T"}, {"group", "G"}, {"timestamp", "soon"}, {"isForce", "true"}}), 1,
        "the custom field <timestamp> is not a number: soon");
  check(Reset("Nope", "G", 0, true), 1, "[reset-offset] reset offset failed, no topic in this broker. topic=Nope");
  // A group without committed offsets is unknown (checked before whether it is online).
  check(Reset("T", "Nobody", 0, true), 1, "THe consumer group <Nobody> not exist");
  // Offsets but no client online: 206 (mqadmin then rewrites the offsets itself).
  check(Reset("T", "G", 0, true), 206, "Consumer not online, so can not reset offset, Group: G Topic: T Timestamp: 0");
  // A client older than V3_0_7_SNAPSHOT cannot take a reset; nobody is told.
  auto fresh = std::make_shared<FakeConnection>(20, 0);
  auto old = std::make_shared<FakeConnection>(21, 1);
  f.Online("Old", "T", fresh);
  f.Online("Old", "T", old, 27);
  check(Reset("T", "Old", 0, true), 1, "the client does not support this feature. version=V3_0_6");
  CHECK(f.CommittedAll("T", "G", 2) == std::vector<int64_t>{2, 2});
  CHECK(f.CommittedAll("T", "Old", 2) == std::vector<int64_t>{2, 2});
  CHECK(f.CommittedAll("T", "Nobody", 2) == std::vector<int64_t>{-1, -1});
  CHECK(Received(*fresh, rc::kResetConsumerClientOffset).empty());
  CHECK(Received(*old, rc::kResetConsumerClientOffset).empty());
  CHECK(admin->wrong_shard() == 0);
}

TEST_CASE("reset offset: body encodings and version names") {
  std::vector<QueueRow> rows{{"T", 0, 5, 2, 0}, {"T", 1, 7, 7, 0}};
  CHECK(EncodeResetOffsetBody("b", rows) ==
        "{\"offsetTable\":{{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}:2,"
        "{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\"}:7}}");
  CHECK(EncodeResetOffsetBodyForC("b", rows) ==
        "{\"offsetTable\":[{\"brokerName\":\"b\",\"offset\":2,\"queueId\":0,\"topic\":\"T\"},"
        "{\"brokerName\":\"b\",\"offset\":7,\"queueId\":1,\"topic\":\"T\"}]}");
  CHECK(EncodeResetOffsetBody("b", {}) == "{\"offsetTable\":{}}");
  CHECK(OldClientVersionName(0) == "V3_0_0_SNAPSHOT");
  CHECK(OldClientVersionName(15) == "V3_0_0_FINAL");
  CHECK(OldClientVersionName(27) == "V3_0_6");
}
