// GET_TOPIC_STATS_INFO (202), GET_CONSUMER_CONNECTION_LIST (203), GET_CONSUME_STATS (208) and
// QUERY_TOPIC_CONSUME_BY_WHO (300) on a real 2-shard MessageStore + ControlPlane with fake
// connections: the bodies parse (fastjson MessageQueue object keys) and carry the stored offsets,
// store times and committed offsets; errors 17 and 206.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>

#include "broker/control_plane.h"
#include "broker/processors/admin_stats_processor.h"
#include "broker/processors/group_get_stats.h"
#include "broker/processors/long_poll.h"
#include "broker/processors/pull_processor.h"
#include "model/properties.h"
#include "remoting/request_code.h"
#include "support/broker_fixture.h"

using namespace mq;
using namespace mq::broker;
using remoting::Command;
using mq::testing::Record;
using mq::testing::WaitFor;
using mq::testing::FakeConnection;
using mq::testing::ParseQueueMap;
using mq::testing::QueueKey;

namespace {

// The broker core with the admin statistics processors; consumeTps sampled every 50 ms.
struct StatsFixture : mq::testing::BrokerFixture {
  StatsFixture() : tps(kShards, 50) {
    RegisterAdminStatsProcessors(*ctx, table, &tps);
    RegisterPullProcessors(*ctx, table, PullCounters{nullptr, &tps});
    tps.Start(*shards);
  }
  ~StatsFixture() {
    tps.Stop(*shards);
    // The cancellations run before these (one FIFO from this thread): no timer outlives `tps`.
    for (uint32_t i = 0; i < kShards; ++i) mq::testing::RunOn(*shards, i, [] {});
  }
  GroupGetStats tps;
};

using Entry = std::map<std::string, int64_t>;

// Reads "<prefix>{MessageQueue:{...},...}}" (fastjson object keys), the shape of 202 and 208 bodies.
std::map<QueueKey, Entry> ParseOffsetTable(const std::string& body, const std::string& prefix) {
  REQUIRE(body.rfind(prefix, 0) == 0);
  size_t pos = prefix.size();
  std::map<QueueKey, Entry> out;
  for (const auto& [key, text] : ParseQueueMap(body, pos)) {
    rapidjson::Document v;
    v.Parse(text.c_str());
    REQUIRE(v.IsObject());
    Entry e;
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) e[it->name.GetString()] = it->value.GetInt64();
    out[key] = e;
  }
  CHECK(body.substr(pos) == "}");
  return out;
}

Command Req(int32_t code, std::map<std::string, std::string> fields) {
  Command c = Command::Request(code);
  c.opaque = 42;
  for (auto& [k, v] : fields) c.ext_fields.Set(k, v);
  return c;
}

void Register(StatsFixture& f, const std::string& group, const std::vector<std::string>& topics) {
  mq::testing::RunOn(*f.shards, 0, [&] {
    ConsumerData d;
    d.group = group;
    d.consume_from_where = ConsumeFromWhere::kFirstOffset;
    for (const auto& t : topics) {
      auto s = ParseSubscription(t, "*", "TAG");
      s->sub_version = 1700000000000;
      d.subscriptions.push_back(*s);
    }
    f.control->clients().consumers().RegisterConsumer(d, ConsumerClient{"10.0.0.5@1", nullptr, 77, "10.0.0.5:4242"},
                                                      1700000000000);
  });
}

Command PullReq(const std::string& group, const std::string& topic, int32_t q, int64_t offset) {
  Command c = Command::Request(remoting::RequestCode::kPullMessage);
  c.opaque = 7;
  c.ext_fields.Set("consumerGroup", group);
  c.ext_fields.Set("topic", topic);
  c.ext_fields.Set("queueId", std::to_string(q));
  c.ext_fields.Set("queueOffset", std::to_string(offset));
  c.ext_fields.Set("maxMsgNums", "32");
  c.ext_fields.Set("sysFlag", std::to_string(kPullFlagSubscription));
  c.ext_fields.Set("commitOffset", "0");
  c.ext_fields.Set("suspendTimeoutMillis", "0");
  c.ext_fields.Set("subscription", "*");
  c.ext_fields.Set("subVersion", "0");
  c.ext_fields.Set("expressionType", "TAG");
  return c;
}

// The consumeTps figure of a 208 body.
double ConsumeTps(const Command& r) {
  REQUIRE(r.code == 0);
  const std::string prefix = "{\"consumeTps\":";
  REQUIRE(r.body.rfind(prefix, 0) == 0);
  return std::strtod(r.body.c_str() + prefix.size(), nullptr);
}

}  // namespace

TEST_CASE("admin stats: 202 topic stats, 208 consume stats, 300 consume by who, 203 connections") {
  StatsFixture f;
  f.CreateTopic("T", 4);
  f.CreateTopic("U", 2);
  // Queue q of T holds q+1 messages (queue 3: 4); U queue 1 holds 2.
  std::map<int32_t, std::vector<int64_t>> times;  // queue -> store time of each message
  for (int32_t q = 0; q < 4; ++q) {
    for (int32_t i = 0; i <= q; ++i) times[q].push_back(f.Put(Record("T", q, "m" + std::to_string(q * 10 + i))).store_timestamp_ms);
  }
  f.Put(Record("U", 1, "u0"));
  f.Put(Record("U", 1, "u1"));
  f.Commit("T", "G", 2, 2);
  f.Commit("T", "G", 3, 4);
  f.Commit("U", "G", 1, 1);
  f.Commit("T", "H", 0, 1);

  for (uint32_t shard : {0u, 1u}) {
    CAPTURE(shard);
    auto conn = std::make_shared<FakeConnection>(1 + shard, shard);

    // 202
    Command r = f.Call(conn, Req(remoting::RequestCode::kGetTopicStatsInfo, {{"topic", "T"}}));
    REQUIRE(r.code == 0);
    CHECK(r.opaque == 42);
    CHECK_FALSE(r.remark.has_value());
    auto table = ParseOffsetTable(r.body, "{\"offsetTable\":");
    REQUIRE(table.size() == 4);
    for (int32_t q = 0; q < 4; ++q) {
      CAPTURE(q);
      const Entry& e = table.at(QueueKey{"", "T", q});
      CHECK(table.find(QueueKey{"", "T", q})->first.broker == f.config->broker_name);
      CHECK(e.at("maxOffset") == q + 1);
      CHECK(e.at("minOffset") == 0);
      CHECK(e.at("lastUpdateTimestamp") == times[q].back());
    }
    CHECK(r.body.find("{\"lastUpdateTimestamp\":") != std::string::npos);  // field order as captured
    r = f.Call(conn, Req(remoting::RequestCode::kGetTopicStatsInfo, {{"topic", "NoSuch"}}));
    CHECK(r.code == 17);
    CHECK(r.remark.value_or("") == "topic[NoSuch] not exist");

    // 208, offline group: every topic with offsets (T, U), all read queues.
    r = f.Call(conn, Req(remoting::RequestCode::kGetConsumeStats, {{"consumerGroup", "G"}}));
    REQUIRE(r.code == 0);
    table = ParseOffsetTable(r.body, "{\"consumeTps\":0.0,\"offsetTable\":");
    REQUIRE(table.size() == 6);
    CHECK(table.at(QueueKey{"", "T", 0}) == Entry{{"brokerOffset", 1}, {"consumerOffset", 0}, {"lastTimestamp", 0}});
    CHECK(table.at(QueueKey{"", "T", 2}) ==
          Entry{{"brokerOffset", 3}, {"consumerOffset", 2}, {"lastTimestamp", times[2][1]}});
    CHECK(table.at(QueueKey{"", "T", 3}) ==
          Entry{{"brokerOffset", 4}, {"consumerOffset", 4}, {"lastTimestamp", times[3][3]}});
    CHECK(table.at(QueueKey{"", "U", 0}) == Entry{{"brokerOffset", 0}, {"consumerOffset", 0}, {"lastTimestamp", 0}});
    CHECK(table.at(QueueKey{"", "U", 1}).at("consumerOffset") == 1);
    CHECK(r.body.find(":{\"brokerOffset\":") != std::string::npos);
    // With a topic: only that topic.
    r = f.Call(conn, Req(remoting::RequestCode::kGetConsumeStats, {{"consumerGroup", "G"}, {"topic", "U"}}));
    REQUIRE(r.code == 0);
    table = ParseOffsetTable(r.body, "{\"consumeTps\":0.0,\"offsetTable\":");
    CHECK(table.size() == 2);
    r = f.Call(conn, Req(remoting::RequestCode::kGetConsumeStats, {{"consumerGroup", "G"}, {"topic", "NoSuch"}}));
    CHECK(r.code == 17);
    // Unknown group: empty table.
    r = f.Call(conn, Req(remoting::RequestCode::kGetConsumeStats, {{"consumerGroup", "Nobody"}}));
    CHECK(r.code == 0);
    CHECK(r.body == "{\"consumeTps\":0.0,\"offsetTable\":{}}");

    // 300
    r = f.Call(conn, Req(remoting::RequestCode::kQueryTopicConsumeByWho, {{"topic", "T"}}));
    CHECK(r.code == 0);
    CHECK(r.body == "{\"groupList\":[\"G\",\"H\"]}");
    r = f.Call(conn, Req(remoting::RequestCode::kQueryTopicConsumeByWho, {{"topic", "Z"}}));
    CHECK(r.body == "{\"groupList\":[]}");

    // 203 offline
    r = f.Call(conn, Req(remoting::RequestCode::kGetConsumerConnectionList, {{"consumerGroup", "G"}}));
    CHECK(r.code == 206);
    CHECK(r.remark.value_or("") == "the consumer group[G] not online");
    CHECK(conn->wrong_shard() == 0);
  }

  // G comes online subscribing to T only (and a group S with no offsets subscribes to U).
  Register(f, "G", {"T", "%RETRY%G"});
  Register(f, "S", {"U"});
  auto conn = std::make_shared<FakeConnection>(9, 1);
  Command r = f.Call(conn, Req(remoting::RequestCode::kGetConsumerConnectionList, {{"consumerGroup", "G"}}));
  REQUIRE(r.code == 0);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d["connectionSet"].Size() == 1);
  CHECK(std::string(d["connectionSet"][0]["clientId"].GetString()) == "10.0.0.5@1");
  CHECK(std::string(d["connectionSet"][0]["clientAddr"].GetString()) == "10.0.0.5:4242");
  CHECK(std::string(d["consumeFromWhere"].GetString()) == "CONSUME_FROM_FIRST_OFFSET");
  CHECK(d["subscriptionTable"].HasMember("T"));
  // Online: U (offsets, but not subscribed) is skipped.
  r = f.Call(conn, Req(remoting::RequestCode::kGetConsumeStats, {{"consumerGroup", "G"}}));
  REQUIRE(r.code == 0);
  auto table = ParseOffsetTable(r.body, "{\"consumeTps\":0.0,\"offsetTable\":");
  CHECK(table.size() == 4);
  CHECK(table.count(QueueKey{"", "U", 1}) == 0);
  r = f.Call(conn, Req(remoting::RequestCode::kQueryTopicConsumeByWho, {{"topic", "U"}}));
  CHECK(r.body == "{\"groupList\":[\"G\",\"S\"]}");
  CHECK(conn->wrong_shard() == 0);
}

TEST_CASE("admin stats: 208 consumeTps is the group's rate of pulled messages, per topic") {
  StatsFixture f;
  f.CreateTopic("T", 2);
  f.CreateTopic("U", 1);
  for (int i = 0; i < 10; ++i) f.Put(Record("T", i % 2, "m" + std::to_string(i)));
  f.Commit("T", "G", 0, 0);
  f.Commit("T", "H", 0, 0);
  auto conn = std::make_shared<FakeConnection>(1, 1);
  auto stats = [&](const std::string& group, const std::string& topic = "") {
    std::map<std::string, std::string> fields{{"consumerGroup", group}};
    if (!topic.empty()) fields["topic"] = topic;
    return ConsumeTps(f.Call(conn, Req(remoting::RequestCode::kGetConsumeStats, fields)));
  };
  CHECK(stats("G") == 0.0);
  // G pulls all 10 messages (both queues, one on each shard); U sees none of it.
  for (int32_t q = 0; q < 2; ++q) {
    Command r = f.Call(conn, PullReq("G", "T", q, 0));
    REQUIRE(r.code == 0);
  }
  f.Commit("U", "G", 0, 0);
  // Once a sample was taken (every 50 ms), G's rate on T shows; H pulled nothing.
  double tps = 0;
  REQUIRE(WaitFor([&] { return (tps = stats("G", "T")) > 0; }));
  CHECK(tps > 0);
  CHECK(stats("H") == 0.0);
  CHECK(stats("G", "U") == 0.0);
  // A full window (6 intervals) without pulls: back to 0.
  REQUIRE(WaitFor([&] { return stats("G") == 0.0; }));
  CHECK(conn->wrong_shard() == 0);
}
