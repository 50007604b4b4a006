#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include "namesrv/register_body.h"
#include "namesrv/route_table.h"
#include "remoting/fastjson.h"

using namespace mq;
using namespace mq::namesrv;

namespace {

BrokerRegistration Broker(const std::string& name, const std::string& addr, int64_t id, uint64_t conn,
                          std::vector<TopicQueueConfig> topics, int64_t version = 1) {
  BrokerRegistration r;
  r.cluster_name = "DefaultCluster";
  r.broker_name = name;
  r.broker_addr = addr;
  r.ha_server_addr = addr.substr(0, addr.find(':')) + ":10912";
  r.broker_id = id;
  r.data_version = DataVersion{version, 1000};
  r.topics = std::move(topics);
  r.connection_id = conn;
  return r;
}

TopicQueueConfig Topic(const std::string& name, int32_t queues = 4, int32_t perm = 6) {
  return TopicQueueConfig{name, queues, queues, perm, 0};
}

}  // namespace

TEST_CASE("a registered master's topics are routable, with compact standard JSON") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("TBW102", 8, 7)}), 0);
  auto route = t.RouteJson("TBW102", "");
  REQUIRE(route.ok());
  CHECK(*route ==
        R"({"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],)"
        R"("filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":7,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]})");
  auto missing = t.RouteJson("nope", "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ResponseCode::kTopicNotExist);
  CHECK(missing.status().remark().rfind("No topic route info in name server for the topic: nope", 0) == 0);
}

TEST_CASE("a slave learns its master's address; routes list both addresses") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("T")}), 0);
  auto r = t.RegisterBroker(Broker("broker-a", "127.0.0.2:10911", 1, 2, {Topic("T")}), 0);
  CHECK(r.master_addr == "127.0.0.1:10911");
  CHECK(r.ha_server_addr == "127.0.0.1:10912");
  auto route = t.RouteJson("T", "");
  REQUIRE(route.ok());
  CHECK(route->find(R"({"0":"127.0.0.1:10911","1":"127.0.0.2:10911"})") != std::string::npos);
}

TEST_CASE("closing the registering connection removes the broker and its orphaned topics") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 7, {Topic("T1"), Topic("Shared")}), 0);
  t.RegisterBroker(Broker("broker-b", "127.0.0.1:20911", 0, 8, {Topic("Shared")}), 0);
  auto removed = t.OnConnectionClosed(7);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0] == "127.0.0.1:10911");
  CHECK_FALSE(t.RouteJson("T1", "").ok());
  auto shared = t.RouteJson("Shared", "");
  REQUIRE(shared.ok());
  CHECK(shared->find("broker-a") == std::string::npos);
  CHECK(t.ClusterInfoJson().find("broker-a") == std::string::npos);
}

TEST_CASE("brokers expire 120 s after their last registration; QUERY_DATA_VERSION keeps them alive") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("T")}, 5), 1000);
  CHECK(t.ExpireBrokers(1000 + RouteTable::kBrokerExpiryMs).empty());
  std::optional<DataVersion> stored;
  CHECK_FALSE(t.DataVersionChanged("127.0.0.1:10911", DataVersion{5, 1000}, 100000, &stored));
  REQUIRE(stored);
  CHECK(stored->counter == 5);
  CHECK(t.DataVersionChanged("127.0.0.1:10911", DataVersion{6, 1000}, 100000, &stored));
  CHECK(t.ExpireBrokers(100000 + RouteTable::kBrokerExpiryMs).empty());
  CHECK(t.ExpireBrokers(100001 + RouteTable::kBrokerExpiryMs).size() == 1);
  CHECK(t.live_broker_count() == 0);
  CHECK_FALSE(t.RouteJson("T", "").ok());
}

TEST_CASE("re-registration with an unchanged data version does not rewrite queue data") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("T", 4)}, 3), 0);
  t.WipeWritePerm("broker-a");
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("T", 4)}, 3), 10);
  CHECK(t.RouteJson("T", "")->find(R"("perm":4)") != std::string::npos);  // still wiped
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("T", 4)}, 4), 20);
  CHECK(t.RouteJson("T", "")->find(R"("perm":6)") != std::string::npos);
}

TEST_CASE("wipe and add write permission count the broker's topics") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("A"), Topic("B", 4, 7)}), 0);
  CHECK(t.WipeWritePerm("broker-a") == 2);
  CHECK(t.RouteJson("B", "")->find(R"("perm":5)") != std::string::npos);
  CHECK(t.AddWritePerm("broker-a") == 2);
  CHECK(t.RouteJson("A", "")->find(R"("perm":6)") != std::string::npos);
  CHECK(t.WipeWritePerm("unknown") == 0);
}

TEST_CASE("topic lists, per cluster, and deletion") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("A"), Topic("B")}), 0);
  CHECK(t.AllTopicsJson() == R"({"topicList":["A","B"]})");
  CHECK(t.TopicsByClusterJson("DefaultCluster") == R"({"topicList":["A","B"]})");
  CHECK(t.TopicsByClusterJson("Other") == R"({"topicList":[]})");
  t.DeleteTopic("A", "DefaultCluster");
  CHECK(t.AllTopicsJson() == R"({"topicList":["B"]})");
  t.DeleteTopic("B", "");
  CHECK(t.AllTopicsJson() == R"({"topicList":[]})");
}

TEST_CASE("unregistering the last address removes the broker name everywhere") {
  RouteTable t;
  t.RegisterBroker(Broker("broker-a", "127.0.0.1:10911", 0, 1, {Topic("A")}), 0);
  t.UnregisterBroker("DefaultCluster", "127.0.0.1:10911", "broker-a", 0);
  CHECK(t.ClusterInfoJson() == R"({"brokerAddrTable":{},"clusterAddrTable":{}})");
  CHECK_FALSE(t.HasTopic("A"));
}

TEST_CASE("register bodies: fastjson unquoted keys, bare wrapper, and bad input") {
  const std::string body =
      R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":68,"timestamp":1795477081187},)"
      R"("topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":2}}}})";
  auto decoded = DecodeRegisterBody(body, false, true);
  REQUIRE(decoded.ok());
  CHECK(decoded->data_version.counter == 68);
  REQUIRE(decoded->topics.size() == 1);
  CHECK(decoded->topics[0].write_queue_nums == 2);
  auto bare = DecodeRegisterBody(R"({"dataVersion":{"counter":"3","timestamp":1},"topicConfigTable":{}})", false, false);
  REQUIRE(bare.ok());
  CHECK(bare->data_version.counter == 3);
  CHECK_FALSE(DecodeRegisterBody("{not json", false, true).ok());
  CHECK_FALSE(DecodeRegisterBody("\x78\x9c garbage", true, true).ok());
  auto dv = DecodeDataVersion(R"({"counter":1,"timestamp":2})");
  REQUIRE(dv.ok());
  CHECK(EncodeDataVersion(*dv) == R"({"counter":1,"timestamp":2})");
}
