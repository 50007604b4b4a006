// Routes, queue allocation, pull bodies -> MessageExt, client-side tag filter, retry topics.
#include <doctest/doctest.h>

#include <set>

#include "client/admin_impl.h"
#include "client/message_codec.h"
#include "client/protocol.h"
#include "client/route.h"
#include "fixture.h"
#include "model/properties.h"

using mq::MessageExt;
using mq::MessageQueue;
using namespace mq::client;
using mq::client::test::LoadFrame;

TEST_CASE("route from the real name server: queues for producers and consumers") {
  auto route = ParseTopicRoute(LoadFrame("0004-namesrv2client-resp.bin").body);
  REQUIRE(route.ok());
  REQUIRE(route->broker_datas.size() == 1);
  CHECK(route->broker_datas[0].Master() == "127.0.0.1:30911");
  const auto pub = PublishQueues("T", route.value());
  CHECK(pub.size() == 8);
  CHECK(pub[7] == MessageQueue{"T", "broker-a", 7});
  CHECK(SubscribeQueues("T", route.value()).size() == 8);
}

TEST_CASE("route parsing accepts fastjson's unquoted integer keys and skips masterless brokers") {
  const std::string body =
      R"({"brokerDatas":[{"brokerAddrs":{1:"10.0.0.2:10911"},"brokerName":"b","cluster":"C"},)"
      R"({"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"a","cluster":"C"}],"filterServerTable":{},)"
      R"("queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":2},)"
      R"({"brokerName":"a","perm":4,"readQueueNums":3,"topicSysFlag":0,"writeQueueNums":3}]})";
  auto route = ParseTopicRoute(body);
  REQUIRE(route.ok());
  CHECK(route->queue_datas[0].broker_name == "a");  // sorted by broker name
  CHECK(PublishQueues("T", route.value()).empty());  // a: read-only; b: no master
  CHECK(SubscribeQueues("T", route.value()).size() == 5);
  CHECK(route->FindBroker("b")->MasterOrAny() == "10.0.0.2:10911");
}

TEST_CASE("cluster info with unquoted keys") {
  auto info = ParseClusterInfo(LoadFrame("0017-namesrv2client-resp.bin").body);
  REQUIRE(info.ok());
  CHECK(info->clusters.at("DefaultCluster") == std::vector<std::string>{"broker-a"});
  CHECK(info->brokers.at("broker-a").Master() == "127.0.0.1:30911");
}

TEST_CASE("averaging allocation gives every queue to exactly one consumer") {
  std::vector<MessageQueue> all;
  for (int i = 0; i < 8; ++i) all.push_back({"T", "b", i});
  for (size_t consumers : {1u, 2u, 3u, 5u, 8u, 11u}) {
    std::vector<std::string> cids;
    for (size_t c = 0; c < consumers; ++c) cids.push_back("c" + std::to_string(c));
    std::multiset<MessageQueue> seen;
    size_t max_share = 0;
    size_t min_share = 100;
    for (const auto& cid : cids) {
      auto mine = AllocateAveragely(all, cids, cid);
      max_share = std::max(max_share, mine.size());
      min_share = std::min(min_share, mine.size());
      seen.insert(mine.begin(), mine.end());
    }
    CHECK(seen.size() == 8);
    CHECK(std::set<MessageQueue>(seen.begin(), seen.end()).size() == 8);
    if (consumers <= 8) CHECK(max_share - min_share <= 1);
  }
  // Java's worked example: 8 queues, 3 consumers -> 3, 3, 2 in order.
  const std::vector<std::string> three = {"c0", "c1", "c2"};
  CHECK(AllocateAveragely(all, three, "c0") == std::vector<MessageQueue>{{"T", "b", 0}, {"T", "b", 1}, {"T", "b", 2}});
  CHECK(AllocateAveragely(all, three, "c2") == std::vector<MessageQueue>{{"T", "b", 6}, {"T", "b", 7}});
  CHECK(AllocateAveragely(all, three, "stranger").empty());
}

TEST_CASE("a real pull answer decodes into MessageExt with ids, queue and properties") {
  const auto resp = LoadFrame("0037-broker2client-resp.bin");
  auto msgs = DecodeMessages(resp.body, "broker-a");
  REQUIRE(msgs.ok());
  REQUIRE(msgs->size() == 32);
  const MessageExt& m = msgs->front();
  CHECK(m.topic == "acc_sync_1795477156771_27574");
  CHECK(m.queue == MessageQueue{"acc_sync_1795477156771_27574", "broker-a", 2});
  CHECK(m.queue_offset == 0);
  CHECK(msgs->back().queue_offset == 31);
  CHECK(m.msg_id.size() == 56);                 // UNIQ_KEY of an IPv6-born client
  CHECK(m.offset_msg_id.size() == 32);
  CHECK(m.offset_msg_id.rfind("7F000001000078BF", 0) == 0);  // 127.0.0.1:30911
  CHECK(!m.tags.empty());
  CHECK(m.keys.rfind("sync-m-", 0) == 0);
  CHECK(m.properties.count("acc_run") == 1);    // user properties only
  CHECK(m.properties.count("UNIQ_KEY") == 0);
  CHECK(m.Property("UNIQ_KEY") == m.msg_id);
  CHECK(m.store_timestamp_ms >= m.born_timestamp_ms - 60000);
}

TEST_CASE("client-side tag filter") {
  MessageExt m;
  m.tags = "TagB";
  CHECK(TagMatches({}, m));
  CHECK(TagMatches({"TagA", "TagB"}, m));
  CHECK(!TagMatches({"TagA"}, m));
}

TEST_CASE("messages from the retry topic get their original topic back") {
  MessageExt m;
  m.topic = "%RETRY%g1";
  m.queue = {"%RETRY%g1", "b", 0};
  m.all_properties["RETRY_TOPIC"] = "Orders";
  RestoreRetryTopic(m, "g1");
  CHECK(m.topic == "Orders");
  CHECK(m.queue.topic == "%RETRY%g1");  // offsets still refer to the queue pulled
  MessageExt other;
  other.topic = "%RETRY%g2";
  other.all_properties["RETRY_TOPIC"] = "X";
  RestoreRetryTopic(other, "g1");
  CHECK(other.topic == "%RETRY%g2");
}

TEST_CASE("send properties carry keys, tags, delay, user properties, UNIQ_KEY and WAIT") {
  mq::Message msg("T", "TagA", "body");
  msg.keys = "k1 k2";
  msg.delay_level = 3;
  msg.properties["color"] = "red";
  const auto props = mq::model::MessageProperties::Parse(EncodeSendProperties(msg, "ABC"));
  CHECK(props.Get("KEYS").value() == "k1 k2");
  CHECK(props.Get("TAGS").value() == "TagA");
  CHECK(props.Get("DELAY").value() == "3");
  CHECK(props.Get("color").value() == "red");
  CHECK(props.Get("UNIQ_KEY").value() == "ABC");
  CHECK(props.Get("WAIT").value() == "true");
}

TEST_CASE("message validation says what is wrong") {
  CHECK(!ValidateMessage(mq::Message("T", ""), 4096).ok());
  CHECK(!ValidateMessage(mq::Message("bad topic", "x"), 4096).ok());
  CHECK(!ValidateMessage(mq::Message("T", std::string(5000, 'x')), 4096).ok());
  CHECK(ValidateMessage(mq::Message("%RETRY%g", "x"), 4096).ok());
}

TEST_CASE("admin tables keyed by MessageQueue objects (GET_TOPIC_STATS_INFO, GET_CONSUME_STATS)") {
  auto stats = mq::ParseQueueKeyedTable(LoadFrame("0114-broker2client-resp.bin").body);
  REQUIRE(stats.ok());
  REQUIRE(!stats->empty());
  CHECK(stats->front().first == MessageQueue{"acc_admin_1795477156771_27574", "broker-a", 4});
  CHECK(stats->front().second.find("\"maxOffset\":5") != std::string::npos);
  auto consume = mq::ParseQueueKeyedTable(LoadFrame("0118-broker2client-resp.bin").body);
  REQUIRE(consume.ok());
  CHECK(consume->size() == stats->size());
}
