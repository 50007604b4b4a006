// Broker configuration and metadata: broker.conf, GET_BROKER_CONFIG text, config/*.json files a
// real 4.9.8 broker wrote, .bak fallback, automatic topic creation (7.2), retry/DLQ topics (7.8),
// system topics and groups (7.12), the register body's perm replacement (7.1), consumer offsets.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/bytes.h"
#include "broker/broker_config.h"
#include "broker/metadata/consumer_offset_table.h"
#include "broker/metadata/json_file.h"
#include "broker/metadata/subscription_group_table.h"
#include "broker/metadata/topic_table.h"
#include "remoting/fastjson.h"

using namespace mq;
using namespace mq::broker;
namespace fs = std::filesystem;

namespace {

fs::path Fixtures() {
  const char* env = std::getenv("MQ_FIXTURES");
  return env != nullptr ? fs::path(env) : fs::path("/work/shared/fixtures");
}
fs::path StoreConfigDir() { return Fixtures() / "store-4.9.8" / "store" / "config"; }

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void WriteText(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/mq-meta-XXXXXX";
    MQ_ASSERT(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

// The same JSON value, member order aside (RapidJSON compares objects member by member by name).
bool SameJson(const std::string& a, const std::string& b) {
  rapidjson::Document da, db;
  return remoting::ParseFastjson(a, da).ok() && remoting::ParseFastjson(b, db).ok() && da == db;
}

HostEnvironment TestEnv() { return HostEnvironment{"/home/u", "host-1", "10.1.2.3", std::nullopt}; }

BrokerConfig Config(const std::string& extra = "") {
  auto props = Properties::Parse("brokerClusterName=C1\nbrokerName=b1\n" + extra);
  auto c = BrokerConfig::FromProperties(*props, TestEnv());
  MQ_ASSERT(c.ok());
  return *c;
}

int64_t FakeNow() { return 1700000000000; }

}  // namespace

TEST_CASE("broker.conf: defaults and distribution-style text") {
  auto props = Properties::Parse(
      "# sample\nbrokerClusterName = DefaultCluster\nbrokerName = broker-a\nbrokerId = 0\ndeleteWhen = 04\n"
      "fileReservedTime = 48\nbrokerRole = ASYNC_MASTER\nflushDiskType = ASYNC_FLUSH\n");
  REQUIRE(props.ok());
  auto c = BrokerConfig::FromProperties(*props, TestEnv());
  REQUIRE(c.ok());
  CHECK(c->broker_cluster_name == "DefaultCluster"); CHECK(c->broker_name == "broker-a");
  CHECK(c->file_reserved_time_hours == 48); CHECK(c->delete_when == "04"); CHECK(c->listen_port == 10911);
  CHECK(c->ha_listen_port == 10912); CHECK(c->broker_ip1 == "10.1.2.3"); CHECK(c->broker_ip2 == "10.1.2.3");
  CHECK(c->AdvertisedAddress() == "10.1.2.3:10911"); CHECK(c->store_path_root_dir == "/home/u/store");
  CHECK(c->store_path_commit_log == "/home/u/store/commitlog"); CHECK(c->auto_create_topic_enable);
  CHECK(c->default_topic_queue_nums == 8); CHECK_FALSE(c->enable_update_broker_config);
  CHECK(c->delay_level_ms.size() == 18);

  auto empty = BrokerConfig::FromProperties(Properties{}, HostEnvironment{"/h", "myhost", "127.0.0.1", "ns:9876"});
  REQUIRE(empty.ok());
  CHECK(empty->broker_name == "myhost"); CHECK(empty->namesrv_addr == "ns:9876");

  auto more = BrokerConfig::FromProperties(
      *Properties::Parse("listenPort=30911\nbrokerIP1=192.168.0.9\nregisterNameServerPeriod=1000\n"
                         "storePathRootDir=/data/s\nbrokerRole=SLAVE\nbrokerId=2\nnamesrvAddr=a:1;b:2\n"),
      TestEnv());
  REQUIRE(more.ok());
  CHECK(more->ha_listen_port == 30912); CHECK(more->HaAddress() == "192.168.0.9:30912");
  CHECK(more->register_name_server_period_ms == 10000); CHECK(more->store_path_commit_log == "/data/s/commitlog");
  CHECK(more->broker_id == 2); CHECK(more->access_message_in_memory_max_ratio_percent == 30);
  CHECK(BrokerConfig::FromProperties(*Properties::Parse("registerNameServerPeriod=90000"), TestEnv())
            ->register_name_server_period_ms == 60000);
  // Masters are always broker 0.
  CHECK(BrokerConfig::FromProperties(*Properties::Parse("brokerId=3"), TestEnv())->broker_id == 0);
}

TEST_CASE("broker.conf: bad values are errors naming the key") {
  const std::pair<const char*, const char*> cases[] = {
      {"listenPort=abc", "listenPort"},          {"listenPort=70000", "listenPort"},
      {"autoCreateTopicEnable=yes", "autoCreateTopicEnable"}, {"brokerRole=MASTER", "brokerRole"},
      {"flushDiskType=SOMETIMES", "flushDiskType"}, {"brokerRole=SLAVE\nbrokerId=0", "brokerId"},
      {"namesrvAddr=localhost", "namesrvAddr"},  {"messageDelayLevel=1s 5x", "messageDelayLevel"},
      {"brokerPermission=99", "brokerPermission"}, {"defaultTopicQueueNums=0", "defaultTopicQueueNums"},
  };
  for (const auto& [text, key] : cases) {
    auto c = BrokerConfig::FromProperties(*Properties::Parse(text), TestEnv());
    REQUIRE_FALSE(c.ok());
    CHECK_MESSAGE(c.status().remark().find(key) != std::string::npos, c.status().remark());
  }
}

TEST_CASE("messageDelayLevel parsing") {
  auto d = ParseMessageDelayLevel(kDefaultMessageDelayLevel);
  REQUIRE(d.ok());
  REQUIRE(d->size() == 18);
  CHECK((*d)[0] == 1000); CHECK((*d)[4] == 60000); CHECK((*d)[17] == 7200000);
  auto custom = ParseMessageDelayLevel("  2s\t3m 1h 1d ");
  REQUIRE(custom.ok());
  CHECK(*custom == std::vector<int64_t>{2000, 180000, 3600000, 86400000});
  for (const char* bad : {"", "   ", "5", "s", "-1s", "1.5s", "10w", "99999999999999999d"}) {
    CHECK_FALSE(ParseMessageDelayLevel(bad).ok());
  }
}

TEST_CASE("GET_BROKER_CONFIG text matches the 4.9.8 answer's format and values") {
  // 0128: the real broker's answer, a `key=value\n` list.
  const std::string frame = ReadText(Fixtures() / "java-4.9.8" / "0128-broker2client-resp.bin");
  REQUIRE(frame.size() > 8);
  const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
  const size_t header_len = LoadBe32(p + 4) & 0xFFFFFF;
  const std::string java_body = frame.substr(8 + header_len);
  REQUIRE(java_body.back() == '\n');
  auto java_props = Properties::Parse(java_body);
  REQUIRE(java_props.ok());
  auto c = BrokerConfig::FromProperties(*java_props, TestEnv());
  REQUIRE(c.ok());
  const std::string ours = c->ToPropertiesText();
  CHECK(ours.back() == '\n');
  CHECK(ours.find(" =") == std::string::npos);  // no padding around '='
  CHECK(ours.find("= ") == std::string::npos);
  CHECK(ours.find("\nmessageDelayLevel=1s 5s 10s 30s 1m") != std::string::npos);
  auto parsed = Properties::Parse(ours);
  REQUIRE(parsed.ok());
  int common = 0;
  for (const auto& [k, v] : parsed->entries()) {
    if (auto java = java_props->Get(k)) {
      CHECK_MESSAGE(*java == v, k);
      ++common;
    }
  }
  CHECK(common >= 80); CHECK(parsed->Get("enableUpdateBrokerConfig") == "false");
  // Round trip through the text.
  auto again = BrokerConfig::FromProperties(*parsed, TestEnv());
  REQUIRE(again.ok());
  CHECK(again->ToPropertiesText() == ours);
}

TEST_CASE("json files: .tmp/.bak persistence and fallback") {
  TempDir dir;
  const std::string path = (dir.path / "config" / "x.json").string();
  CHECK_FALSE(LoadJsonFile(path).has_value());
  REQUIRE(PersistJsonFile(path, R"({"v":1})").ok());
  CHECK(LoadJsonFile(path) == R"({"v":1})"); CHECK_FALSE(fs::exists(path + ".bak"));
  REQUIRE(PersistJsonFile(path, R"({"v":2})").ok());
  CHECK(ReadText(path + ".bak") == R"({"v":1})"); CHECK_FALSE(fs::exists(path + ".tmp"));
  WriteText(path, "{\"v\":2, trunc");  // corrupt main file
  CHECK(LoadJsonFile(path) == R"({"v":1})");
  WriteText(path, "");
  CHECK(LoadJsonFile(path) == R"({"v":1})");
  fs::remove(path);
  CHECK(LoadJsonFile(path) == R"({"v":1})");
  WriteText(path + ".bak", "[1]");  // parses, but is not an object
  CHECK_FALSE(LoadJsonFile(path).has_value());
  WriteText(path, "{0:1}");  // Java's unquoted keys are fine
  CHECK(LoadJsonFile(path) == "{0:1}");
}

TEST_CASE("topic names and system topics") {
  CHECK(ValidateTopicName("TopicTest").ok()); CHECK(ValidateTopicName("%RETRY%g|a-b_c09").ok());
  CHECK(ValidateTopicName(std::string(127, 'a')).ok());
  CHECK(ValidateTopicName(std::string(128, 'a')).code() == ResponseCode::kSystemError);
  for (const char* bad : {"", "a b", "a@b", "a/b", "a.b", "tópico"}) CHECK_FALSE(ValidateTopicName(bad).ok());
  CHECK(IsFixedSystemTopic("TBW102")); CHECK(IsFixedSystemTopic("rmq_sys_anything"));
  CHECK(IsFixedSystemTopic("RMQ_SYS_TRANS_HALF_TOPIC")); CHECK_FALSE(IsFixedSystemTopic("%RETRY%g"));
  for (const char* t : {"SCHEDULE_TOPIC_XXXX", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT", "RMQ_SYS_TRANS_HALF_TOPIC",
                        "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC"}) {
    CHECK(IsNotSendableTopic(t));
  }
  CHECK_FALSE(IsNotSendableTopic("TBW102")); CHECK(IsRetryTopic(RetryTopicOf("g")));
  CHECK(DlqTopicOf("g") == "%DLQ%g"); CHECK(PermToString(7) == "RWX"); CHECK(PermToString(4) == "R--");
}

TEST_CASE("topic table: system topics per config (7.12)") {
  TopicTable t(Config(), "", FakeNow);
  CHECK(t.Find("TBW102")->perm == 7); CHECK(t.Find("TBW102")->write_queue_nums == 8);
  CHECK(t.Find("BenchmarkTest")->read_queue_nums == 1024); CHECK(t.Find("C1")->perm == 7);
  CHECK(t.Find("C1")->read_queue_nums == 16); CHECK(t.Find("b1")->perm == 7);
  CHECK(t.Find("SCHEDULE_TOPIC_XXXX")->write_queue_nums == 18); CHECK(t.Find("C1_REPLY_TOPIC") != nullptr);
  CHECK(t.Find("RMQ_SYS_TRACE_TOPIC") == nullptr); CHECK(t.size() == 8);
  TopicTable off(Config("autoCreateTopicEnable=false\nclusterTopicEnable=false\nbrokerTopicEnable=false\n"
                        "traceTopicEnable=true\n"),
                 "", FakeNow);
  CHECK(off.Find("TBW102") == nullptr); CHECK(off.Find("C1")->perm == 1); CHECK(off.Find("b1")->perm == 1);
  CHECK(off.Find("RMQ_SYS_TRACE_TOPIC")->perm == 6); CHECK(t.IsSystemTopic("C1")); CHECK(t.IsSystemTopic("b1"));
  CHECK(t.IsSystemTopic("C1_REPLY_TOPIC"));
}

TEST_CASE("topic table: the 4.9.8 topics.json loads and re-encodes") {
  TempDir dir;
  const auto path = dir.path / "topics.json";
  fs::copy_file(StoreConfigDir() / "topics.json", path);
  TopicTable t(Config("brokerClusterName=FixtureCluster\nbrokerName=broker-fx\n"), path.string(), FakeNow);
  REQUIRE(t.Load().ok());
  CHECK(t.size() == 18); CHECK(t.data_version() == DataVersion{10, 1795477667382});
  const TopicConfig* tag = t.Find("acc_tagfilter_1795477650952_1277");
  REQUIRE(tag != nullptr);
  CHECK(tag->read_queue_nums == 4); CHECK(tag->perm == 6);
  CHECK(tag->topic_filter_type == TopicFilterType::kSingleTag); CHECK(SameJson(t.EncodeWrapper(), ReadText(path)));
  CHECK(t.snapshot()->Find("TBW102")->perm == 7); CHECK(t.snapshot()->data_version.counter == 10);
  // Persist, then a second table reads the same thing back.
  REQUIRE(t.Persist().ok());
  CHECK(ReadText(path.string() + ".bak").find("\n\t\"dataVersion\"") != std::string::npos);
  TopicTable again(Config("brokerClusterName=FixtureCluster\nbrokerName=broker-fx\n"), path.string(), FakeNow);
  REQUIRE(again.Load().ok());
  CHECK(again.EncodeWrapper() == t.EncodeWrapper());
  // A corrupt main file falls back to the .bak written by Persist.
  WriteText(path, "{\"dataVersion\":");
  TopicTable from_bak(Config(), path.string(), FakeNow);
  REQUIRE(from_bak.Load().ok());
  CHECK(from_bak.Find("acc_sync_1795477650952_1277") != nullptr);
}

TEST_CASE("topic table: automatic creation on send (7.2)") {
  TempDir dir;
  const std::string path = (dir.path / "topics.json").string();
  TopicTable t(Config(), path, FakeNow);
  const auto v0 = t.data_version();
  const TopicSnapshotPtr before = t.snapshot();
  auto r = t.CreateForSend("NewT", "TBW102", 4);
  REQUIRE(r.ok());
  CHECK(r->created); CHECK(r->config.read_queue_nums == 4); CHECK(r->config.write_queue_nums == 4);
  CHECK(r->config.perm == 6); CHECK(t.data_version().counter == v0.counter + 1); CHECK(t.snapshot() != before);
  CHECK(before->Find("NewT") == nullptr); CHECK(t.snapshot()->Find("NewT") != nullptr);
  CHECK(ReadText(path).find("\"NewT\"") != std::string::npos);
  auto again = t.CreateForSend("NewT", "TBW102", 2);
  REQUIRE(again.ok());
  CHECK_FALSE(again->created); CHECK(again->config.write_queue_nums == 4);
  // Queue numbers are capped by the template's write queues; sysFlag comes from the request.
  auto big = t.CreateForSend("BigT", "TBW102", 16, 2);
  REQUIRE(big.ok());
  CHECK(big->config.read_queue_nums == 8); CHECK(big->config.topic_sys_flag == 2);
  // Template perm minus INHERIT; filter type inherited.
  TopicConfig tpl{"ReadOnlyTpl", 2, 3, kPermRead | kPermInherit, TopicFilterType::kMultiTag, 0, false};
  REQUIRE(t.UpdateTopic(tpl).ok());
  auto ro = t.CreateForSend("FromRo", "ReadOnlyTpl", 4);
  REQUIRE(ro.ok());
  CHECK(ro->config.perm == kPermRead); CHECK(ro->config.write_queue_nums == 3);
  CHECK(ro->config.topic_filter_type == TopicFilterType::kMultiTag);
  // Refusals.
  REQUIRE(t.UpdateTopic(TopicConfig{"PlainTpl", 8, 8, 6}).ok());
  CHECK(t.CreateForSend("X1", "PlainTpl", 4).status().code() == ResponseCode::kTopicNotExist);
  CHECK(t.CreateForSend("X2", "NoSuchTpl", 4).status().code() == ResponseCode::kTopicNotExist);
  CHECK(t.CreateForSend("SCHEDULE_TOPIC_XXXX", "TBW102", 4).status().code() == ResponseCode::kNoPermission);
  CHECK(t.CreateForSend("bad topic", "TBW102", 4).status().code() == ResponseCode::kSystemError);
  CHECK(t.Find("X1") == nullptr);
}

TEST_CASE("topic table: no TBW102 means refused, and a stale TBW102 loses INHERIT") {
  TopicTable t(Config("autoCreateTopicEnable=false"), "", FakeNow);
  CHECK(t.CreateForSend("T", "TBW102", 4).status().code() == ResponseCode::kTopicNotExist);
  // A topics.json from a broker that had auto-creation on still holds TBW102 with perm 7.
  TempDir dir;
  const auto path = dir.path / "topics.json";
  fs::copy_file(StoreConfigDir() / "topics.json", path);
  TopicTable stale(Config("autoCreateTopicEnable=false"), path.string(), FakeNow);
  REQUIRE(stale.Load().ok());
  CHECK(stale.Find("TBW102")->perm == 7);
  CHECK(stale.CreateForSend("T", "TBW102", 4).status().code() == ResponseCode::kTopicNotExist);
  CHECK(stale.Find("TBW102")->perm == 6);
}

TEST_CASE("topic table: update, delete, retry and DLQ topics (7.8)") {
  TopicTable t(Config(), "", FakeNow);
  REQUIRE(t.UpdateTopic(TopicConfig{"T", 4, 4, 6}).ok());
  REQUIRE(t.UpdateTopic(TopicConfig{"T", 8, 2, 4}).ok());
  CHECK(t.Find("T")->read_queue_nums == 8); CHECK(t.Find("T")->perm == 4);
  CHECK_FALSE(t.UpdateTopic(TopicConfig{"SCHEDULE_TOPIC_XXXX", 4, 4, 6}).ok());
  CHECK_FALSE(t.UpdateTopic(TopicConfig{"C1", 4, 4, 6}).ok());
  CHECK_FALSE(t.UpdateTopic(TopicConfig{"rmq_sys_x", 4, 4, 6}).ok());
  CHECK_FALSE(t.UpdateTopic(TopicConfig{"a b", 4, 4, 6}).ok());
  CHECK_FALSE(t.UpdateTopic(TopicConfig{"Q", -1, 4, 6}).ok());
  CHECK(t.UpdateTopic(TopicConfig{"%RETRY%g", 2, 2, 6}).ok());  // admins may reshape retry topics
  CHECK(*t.DeleteTopic("T")); CHECK_FALSE(*t.DeleteTopic("T")); CHECK_FALSE(t.DeleteTopic("TBW102").ok());

  auto retry = t.CreateRetryTopicIfAbsent("cg", 1);
  REQUIRE(retry.ok());
  CHECK(retry->created); CHECK(retry->config.topic_name == "%RETRY%cg"); CHECK(retry->config.read_queue_nums == 1);
  CHECK(retry->config.perm == 6); CHECK_FALSE(t.CreateRetryTopicIfAbsent("cg", 3)->created);
  CHECK_FALSE(t.CreateRetryTopicIfAbsent("cg2", 0).ok());
  auto dlq = t.CreateDlqTopicIfAbsent("cg");
  REQUIRE(dlq.ok());
  CHECK(dlq->config.topic_name == "%DLQ%cg"); CHECK(dlq->config.write_queue_nums == 1); CHECK(dlq->config.perm == 6);
}

TEST_CASE("register body: perm replaced when brokerPermission lacks R or W (7.1)") {
  TopicTable t(Config(), "", FakeNow);
  REQUIRE(t.UpdateTopic(TopicConfig{"T", 4, 4, 6}).ok());
  auto perms = [](const std::string& body) {
    rapidjson::Document d;
    MQ_ASSERT(remoting::ParseFastjson(body, d).ok());
    std::map<std::string, int> out;
    const auto& table = d["topicConfigSerializeWrapper"]["topicConfigTable"];
    for (auto it = table.MemberBegin(); it != table.MemberEnd(); ++it) out[it->name.GetString()] = it->value["perm"].GetInt();
    return out;
  };
  const std::string rw = t.EncodeRegisterBody(6);
  CHECK(rw.starts_with(R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":)"));
  CHECK(perms(rw)["TBW102"] == 7); CHECK(perms(rw)["T"] == 6);
  for (int p : {4, 2}) {
    for (const auto& [name, perm] : perms(t.EncodeRegisterBody(p))) CHECK_MESSAGE(perm == p, name);
  }
  auto one = perms(t.EncodeRegisterBody(6, {"T", "absent"}));
  CHECK(one.size() == 1); CHECK(one["T"] == 6);
  CHECK(EncodeTopicConfig(*t.Find("T")) ==
        R"({"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4})");
}

TEST_CASE("subscription groups: built-ins, the 4.9.8 file, auto-creation") {
  SubscriptionGroupTable fresh(Config(), "", FakeNow);
  CHECK(fresh.size() == 7); CHECK(fresh.Find("CID_ONSAPI_OWNER")->consume_broadcast_enable);
  CHECK(fresh.snapshot()->Find("TOOLS_CONSUMER") != nullptr);

  TempDir dir;
  const auto path = dir.path / "subscriptionGroup.json";
  fs::copy_file(StoreConfigDir() / "subscriptionGroup.json", path);
  SubscriptionGroupTable t(Config(), path.string(), FakeNow);
  REQUIRE(t.Load().ok());
  CHECK(t.data_version() == DataVersion{4, 1795477659541});
  const auto* g = t.Find("acc_batch_c_1795477650952_1277");
  REQUIRE(g != nullptr);
  CHECK(g->retry_max_times == 16); CHECK(g->which_broker_when_consume_slowly == 1);
  CHECK(SameJson(t.EncodeWrapper(), ReadText(path)));

  auto created = t.FindOrAutoCreate("newgroup");
  REQUIRE(created.ok());
  CHECK(created->created); CHECK(created->config == SubscriptionGroupConfig{"newgroup"});
  CHECK(t.data_version().counter == 5); CHECK_FALSE(t.FindOrAutoCreate("newgroup")->created);
  SubscriptionGroupTable again(Config(), path.string(), FakeNow);
  REQUIRE(again.Load().ok());
  CHECK(again.Find("newgroup") != nullptr);

  SubscriptionGroupTable strict(Config("autoCreateSubscriptionGroup=false"), "", FakeNow);
  CHECK(strict.FindOrAutoCreate("g").status().code() == ResponseCode::kSubscriptionGroupNotExist);
  CHECK(strict.FindOrAutoCreate("CID_RMQ_SYS_TRANS")->created);
  SubscriptionGroupConfig custom{"g", false};
  custom.retry_queue_nums = 3;
  REQUIRE(strict.Update(custom).ok());
  CHECK(strict.FindOrAutoCreate("g")->config.retry_queue_nums == 3);
  CHECK_FALSE(strict.Update(SubscriptionGroupConfig{"bad name"}).ok()); CHECK(strict.Delete("g"));
  CHECK_FALSE(strict.Delete("g"));
}

TEST_CASE("consumer offsets: the 4.9.8 file, split by shard, merged back") {
  const std::string text = ReadText(StoreConfigDir() / "consumerOffset.json");
  auto shard_of = [](std::string_view, int32_t queue_id) { return static_cast<uint32_t>(queue_id % 2); };
  auto parts = ConsumerOffsetTable::Decode(text, 2, shard_of);
  REQUIRE(parts.ok());
  ConsumerOffsetTable shard0, shard1;
  shard0.Import((*parts)[0]);
  shard1.Import((*parts)[1]);
  const std::string topic = "acc_tagfilter_1795477650952_1277", group = "acc_tagfilter_c_1795477650952_1277";
  CHECK(shard0.Query(topic, group, 0) == 23); CHECK(shard1.Query(topic, group, 1) == 22);
  CHECK_FALSE(shard0.Query(topic, group, 1).has_value());
  CHECK(shard0.QueryAll(topic, group) == std::map<int32_t, int64_t>{{0, 23}, {2, 22}}); CHECK(shard0.size() == 6);
  CHECK(shard1.size() == 4);  // the retry topics have only queue 0
  const OffsetMap exports[] = {shard0.Export(), shard1.Export()};
  const std::string encoded = ConsumerOffsetTable::Encode(exports);
  CHECK(SameJson(encoded, text));
  CHECK(encoded.find(R"("acc_sync_1795477650952_1277@acc_sync_c_1795477650952_1277":{"0":50,"1":50,"2":50,"3":50})") !=
        std::string::npos);

  shard0.Commit(topic, group, 0, 30);
  CHECK(shard0.Query(topic, group, 0) == 30); CHECK(shard0.TopicsOfGroup(group).size() == 2);
  CHECK(shard0.GroupsOfTopic(topic) == std::vector<std::string>{group}); CHECK(shard0.RemoveGroup(group) == 2);
  CHECK(shard0.RemoveTopic("acc_sync_1795477650952_1277") == 1); CHECK(shard0.size() == 3);

  CHECK_FALSE(ConsumerOffsetTable::Decode("{\"offsetTable\":{\"T@g\":{x:1}}}", 1, shard_of).ok());
  CHECK_FALSE(ConsumerOffsetTable::Decode("{\"offsetTable\":{\"T@g\":{0:\"z\"}}}", 1, shard_of).ok());
  auto lenient = ConsumerOffsetTable::Decode("{\"offsetTable\":{\"T@g\":{0:\"7\"},\"nokey\":{0:1}}}", 1, shard_of);
  REQUIRE(lenient.ok());
  CHECK((*lenient)[0].size() == 1); CHECK((*lenient)[0]["T@g"][0] == 7);
}
