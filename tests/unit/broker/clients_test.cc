// Client and consumer-group management: heartbeat bodies of every captured client, tag expressions,
// the consumer/producer/lock managers, and the processors on a real 2-shard ShardSet with fake
// connections, whose answers are compared with the captured Java broker's frames byte for byte.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/hash.h"
#include "broker/client/client_processors.h"
#include "remoting/frame.h"
#include "remoting/request_code.h"
#include "support/broker_fixture.h"
#include "support/fixture_frames.h"

using namespace mq;
using namespace mq::broker;
using remoting::Command;
using mq::testing::FakeConnection;
using mq::testing::WaitFor;
using mq::testing::FixtureFrame;
using mq::testing::ReadFileBytes;
namespace fs = std::filesystem;

namespace {

fs::path Fixtures() { return fs::path(mq::testing::FixturesDir()); }
Command Java(const std::string& name) { return mq::testing::JavaFrame(name); }

std::vector<fs::path> HeartbeatFrames() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(Fixtures())) {
    const std::string name = e.path().filename().string();
    if (name.ends_with("_34_HEART_BEAT.bin") || name.ends_with("-client2broker-34.bin")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

const SubscriptionData* Sub(const ConsumerData& c, const std::string& topic) {
  for (const auto& s : c.subscriptions) {
    if (s.topic == topic) return &s;
  }
  return nullptr;
}

HeartbeatData ParseFile(const std::string& rel) {
  auto hb = ParseHeartbeat(FixtureFrame(Fixtures() / rel).body);
  REQUIRE(hb.ok());
  return std::move(hb).value();
}

}  // namespace

TEST_CASE("every captured heartbeat parses; tag codes are recomputed") {
  const auto frames = HeartbeatFrames();
  CHECK(frames.size() >= 40);
  size_t tagged = 0;
  for (const auto& p : frames) {
    CAPTURE(p.string());
    auto hb = ParseHeartbeat(FixtureFrame(p).body);
    REQUIRE(hb.ok());
    CHECK(!hb->client_id.empty());
    for (const auto& c : hb->consumers) {
      CHECK(!c.group.empty());
      CHECK(!c.subscriptions.empty());
      for (const auto& s : c.subscriptions) {
        REQUIRE(s.codes.size() == s.tags.size());
        for (size_t i = 0; i < s.tags.size(); ++i) CHECK(s.codes[i] == JavaStringHash(s.tags[i]));
        if (s.sub_string == "*") CHECK(s.subscribes_all());
        if (!s.tags.empty()) ++tagged;
      }
    }
  }
  CHECK(tagged >= 5);
}

TEST_CASE("heartbeat quirks of each client") {
  SUBCASE("C++: numeric enums, string subVersion, codeSet [0], no tagsSet on retry") {
    auto hb = ParseFile("clients/cpp/cpp_oneway_batch_tag_orderly/0014_broker_34_HEART_BEAT.bin");
    CHECK(hb.client_id == "127.0.0.1@26631#DEFAULT");
    CHECK(hb.producer_groups.empty());
    REQUIRE(hb.consumers.size() == 1);
    const auto& c = hb.consumers[0];
    CHECK(c.group == "G");
    CHECK(c.consume_type == ConsumeType::kPassively);
    CHECK(c.message_model == MessageModel::kClustering);
    CHECK(c.consume_from_where == ConsumeFromWhere::kFirstOffset);
    CHECK_FALSE(c.unit_mode);
    const auto* t = Sub(c, "T");
    REQUIRE(t != nullptr);
    CHECK(t->tags == std::vector<std::string>{"TagA"});
    CHECK(t->codes == std::vector<int32_t>{2598919});
    CHECK(t->sub_version == 1795477054094);
    CHECK(t->expression_type == "TAG");
    REQUIRE(Sub(c, "%RETRY%G") != nullptr);
    CHECK(Sub(c, "%RETRY%G")->subscribes_all());
  }
  SUBCASE("C++ pull consumer: CONSUME_ACTIVELY as 0") {
    auto hb = ParseFile("clients/cpp/pull_consumer/0012_broker_34_HEART_BEAT.bin");
    CHECK(hb.consumers.at(0).consume_type == ConsumeType::kActively);
  }
  SUBCASE("Go: codeSet as strings, nanosecond subVersion") {
    auto hb = ParseFile("clients/go/consumer_pull_poll/0003_broker_34_HEART_BEAT.bin");
    const auto& c = hb.consumers.at(0);
    CHECK(c.group == "ns%testPullGroup");
    CHECK(c.consume_type == ConsumeType::kActively);
    CHECK(c.consume_from_where == ConsumeFromWhere::kLastOffset);
    const auto* t = Sub(c, "ns%test-topic");
    REQUIRE(t != nullptr);
    CHECK(t->codes == std::vector<int32_t>{-1146892809});
    CHECK(t->sub_version == 1795476423790580463);
  }
  SUBCASE("ali-ons: broadcasting, no expressionType") {
    auto hb = ParseFile("clients/ali-ons/broadcast/0008_broker_34_HEART_BEAT.bin");
    CHECK(hb.consumers.at(0).message_model == MessageModel::kBroadcasting);
    CHECK(hb.consumers.at(0).subscriptions.at(0).expression_type == "TAG");
    CHECK(hb.producer_groups == std::vector<std::string>{"CLIENT_INNER_PRODUCER"});
  }
  SUBCASE("Java: names, producer groups; our subscription JSON is what Java wrote") {
    const Command req = Java("0018-client2broker-34.bin");
    auto hb = ParseHeartbeat(req.body);
    REQUIRE(hb.ok());
    const auto& c = hb->consumers.at(0);
    CHECK(c.consume_from_where == ConsumeFromWhere::kFirstOffset);
    for (const auto& s : c.subscriptions) {
      std::string json;
      AppendSubscriptionJson(json, s);
      CHECK(req.body.find(json) != std::string::npos);
    }
  }
  SUBCASE("lenient and bounded") {
    auto hb = ParseHeartbeat(R"({"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":"1",)"
                             R"("messageModel":"clustering","subscriptionDataSet":[{"topic":"T","tagsSet":["B"]}]}]})");
    REQUIRE(hb.ok());
    CHECK(hb->consumers[0].consume_type == ConsumeType::kPassively);
    CHECK(hb->consumers[0].subscriptions[0].tags == std::vector<std::string>{"B"});
    CHECK_FALSE(ParseHeartbeat(R"({"consumerDataSet":[]})").ok());
    CHECK_FALSE(ParseHeartbeat(R"({"clientID":"c","consumerDataSet":[{"groupName":"g","messageModel":7}]})").ok());
    CHECK_FALSE(ParseHeartbeat(R"({"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":"NOPE"}]})").ok());
    CHECK_FALSE(ParseHeartbeat("{\"clientID\":").ok());
    std::string many = R"({"clientID":"c","producerDataSet":[)";
    for (size_t i = 0; i <= kMaxProducersPerHeartbeat; ++i) many += i ? R"(,{"groupName":"g"})" : R"({"groupName":"g"})";
    CHECK_FALSE(ParseHeartbeat(many + "]}").ok());
  }
}

TEST_CASE("tag expressions and matching") {
  auto all = ParseSubscription("T", "*", "");
  REQUIRE(all.ok());
  CHECK(all->subscribes_all());
  CHECK(ParseSubscription("T", "", "TAG")->subscribes_all());
  CHECK(ParseSubscription("T", "  ", "TAG")->subscribes_all());
  auto two = ParseSubscription("T", " TagA || TagB||TagA ", "TAG");
  REQUIRE(two.ok());
  CHECK(two->tags == std::vector<std::string>{"TagA", "TagB"});
  CHECK(two->codes == std::vector<int32_t>{2598919, 2598920});
  for (const char* nonsense : {"||", " || ", "|| ||"}) {
    auto r = ParseSubscription("T", nonsense, "TAG");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ResponseCode::kSubscriptionParseFailed);
  }
  auto sql = ParseSubscription("T", "a > 1", "sql92");
  REQUIRE(sql.ok());
  CHECK(sql->expression_type == "SQL92");
  CHECK(sql->sub_string == "a > 1");
  CHECK_FALSE(ParseSubscription("T", " ", "SQL92").ok());

  CHECK(MatchesTagsCode(*all, 12345));
  CHECK(MatchesTagsCode(*two, 2598919));
  CHECK(MatchesTagsCode(*two, 2598920));
  CHECK_FALSE(MatchesTagsCode(*two, 0));
  auto neg = ParseSubscription("T", "testPull", "TAG");
  CHECK(MatchesTagsCode(*neg, -1146892809));
  CHECK(MatchesTagsCode(*neg, static_cast<int64_t>(static_cast<uint32_t>(-1146892809))));  // (int) cast
  SubscriptionData legacy = *two;
  legacy.class_filter_mode = true;
  CHECK(MatchesTagsCode(legacy, 1));

  std::string json;
  SubscriptionData spec = *ParseSubscription("T", "TagA", "TAG");
  spec.sub_version = 1700000000000;
  AppendSubscriptionJson(json, spec);
  CHECK(json == R"({"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA",)"
                R"("subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T"})");
  CHECK(EncodeConsumerIdList({"a", "b"}) == R"({"consumerIdList":["a","b"]})");
}

namespace {
ConsumerData Group(const std::string& name, std::vector<std::pair<std::string, int64_t>> topics) {
  ConsumerData d;
  d.group = name;
  for (auto& [t, v] : topics) {
    auto s = ParseSubscription(t, "*", "TAG");
    s->sub_version = v;
    d.subscriptions.push_back(*s);
  }
  return d;
}
ConsumerClient Client(const std::string& id, uint64_t conn) { return ConsumerClient{id, nullptr, conn, "1.2.3.4:5"}; }
}  // namespace

TEST_CASE("consumer manager: changes, reconnects, closes, expiry, snapshots") {
  ConsumerManager m;
  auto r = m.RegisterConsumer(Group("g", {{"T", 1}, {"%RETRY%g", 1}}), Client("A", 1), 1000);
  CHECK(r.new_client);
  CHECK(r.topics_changed);
  CHECK(m.snapshot_dirty());
  auto snap1 = m.BuildSnapshot();
  REQUIRE(snap1->Find("g", "T") != nullptr);
  CHECK(snap1->Find("g", "X") == nullptr);
  CHECK_FALSE(m.snapshot_dirty());

  CHECK_FALSE(m.RegisterConsumer(Group("g", {{"T", 1}, {"%RETRY%g", 1}}), Client("A", 1), 2000).notify());
  CHECK_FALSE(m.snapshot_dirty());
  CHECK(m.RegisterConsumer(Group("g", {{"T", 1}, {"%RETRY%g", 1}}), Client("B", 2), 3000).new_client);
  CHECK(m.GetConsumerIdList("g") == std::vector<std::string>{"A", "B"});

  // A newer version replaces (no rebalance), an older one is ignored, a dropped topic is a change.
  ConsumerData tagged = Group("g", {{"%RETRY%g", 1}});
  auto sub = ParseSubscription("T", "TagA", "TAG");
  sub->sub_version = 5;
  tagged.subscriptions.push_back(*sub);
  r = m.RegisterConsumer(tagged, Client("A", 1), 4000);
  CHECK_FALSE(r.notify());
  CHECK(r.subscriptions_changed);
  CHECK(m.FindSubscription("g", "T")->tags == std::vector<std::string>{"TagA"});
  CHECK_FALSE(m.RegisterConsumer(Group("g", {{"T", 2}, {"%RETRY%g", 1}}), Client("A", 1), 4000).subscriptions_changed);
  CHECK(m.FindSubscription("g", "T")->sub_version == 5);
  auto snap2 = m.BuildSnapshot();
  CHECK(snap2->Find("g", "T")->codes == std::vector<int32_t>{2598919});
  CHECK(snap1->Find("g", "T")->codes.empty());  // old snapshots are immutable
  CHECK(m.RegisterConsumer(Group("g", {{"%RETRY%g", 1}}), Client("A", 1), 4000).topics_changed);
  CHECK_FALSE(m.FindSubscription("g", "T").has_value());

  // Untouched groups keep sharing their frozen table across snapshots.
  m.RegisterConsumer(Group("h", {{"T", 1}}), Client("C", 3), 4000);
  auto snap3 = m.BuildSnapshot();
  m.RegisterConsumer(Group("g", {{"%RETRY%g", 1}, {"U", 1}}), Client("A", 1), 4000);
  auto snap4 = m.BuildSnapshot();
  CHECK(snap3->groups.at("h") == snap4->groups.at("h"));
  CHECK(snap3->groups.at("g") != snap4->groups.at("g"));
  CHECK(m.GroupsOfTopic("T") == std::vector<std::string>{"h"});
  CHECK(m.Groups() == std::vector<std::string>{"g", "h"});

  // A reconnect replaces the connection; the old connection's close then removes nothing.
  CHECK(m.RegisterConsumer(Group("g", {{"%RETRY%g", 1}, {"U", 1}}), Client("B", 20), 5000).new_client);
  CHECK(m.OnConnectionClosed(2).empty());
  auto removed = m.OnConnectionClosed(20);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].client.client_id == "B");
  CHECK(m.GetConsumerIdList("g") == std::vector<std::string>{"A"});

  auto json = m.ConsumerConnectionJson("g");
  REQUIRE(json.has_value());
  CHECK(json->starts_with(R"({"connectionSet":[{"clientAddr":"1.2.3.4:5","clientId":"A","language":"JAVA",)"
                          R"("version":0}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":)"
                          R"("CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"%RETRY%g":)"));

  m.RegisterConsumer(Group("g", {{"%RETRY%g", 1}, {"U", 1}}), Client("A", 1), 5000);  // A stays fresh
  // Expiry is strictly older than 120 s; an emptied group disappears from the next snapshot.
  CHECK(m.ScanNotActive(4000 + 120000, 120000).empty());
  CHECK(m.ScanNotActive(4000 + 120001, 120000).size() == 1);  // C of group h
  CHECK(m.FindGroup("h") == nullptr);
  CHECK(m.UnregisterConsumer("g", "A"));
  CHECK_FALSE(m.UnregisterConsumer("g", "A"));
  CHECK(m.BuildSnapshot()->groups.empty());
  CHECK_FALSE(m.ConsumerConnectionJson("g").has_value());
}

TEST_CASE("producer manager") {
  ProducerManager m;
  m.RegisterProducer("PG", ProducerClient{"p1", nullptr, 1, "a:1", "GO", 317}, 0);
  m.RegisterProducer("PG", ProducerClient{"p2", nullptr, 2, "a:2", "JAVA", 409}, 50000);
  m.RegisterProducer("CLIENT_INNER_PRODUCER", ProducerClient{"p1", nullptr, 1, "a:1", "GO", 317}, 0);
  CHECK(*m.ProducerConnectionJson("PG") ==
        R"({"connectionSet":[{"clientAddr":"a:1","clientId":"p1","language":"GO","version":317},)"
        R"({"clientAddr":"a:2","clientId":"p2","language":"JAVA","version":409}]})");
  CHECK_FALSE(m.ProducerConnectionJson("nope").has_value());
  CHECK(m.ScanNotActive(120001, 120000).size() == 2);  // p1 in both groups
  CHECK(m.Groups() == std::vector<std::string>{"PG"});
  CHECK(m.OnConnectionClosed(2) == 1);
  CHECK_FALSE(m.HasGroup("PG"));
  m.RegisterProducer("PG", ProducerClient{"p3", nullptr, 3}, 0);
  CHECK(m.UnregisterProducer("PG", 3));
  CHECK_FALSE(m.UnregisterProducer("PG", 3));
}

TEST_CASE("lock manager: grant, owner refresh, 60 s takeover, unlock") {
  LockManager locks;
  const MessageQueue q0{"T", "broker-a", 0}, q1{"T", "broker-a", 1}, q2{"T", "broker-a", 2};
  CHECK(locks.TryLockBatch("g", {q0, q1}, "c1", 0) == std::vector<MessageQueue>{q0, q1});
  CHECK(locks.TryLockBatch("g", {q1, q2}, "c2", 1000) == std::vector<MessageQueue>{q2});
  CHECK(locks.TryLockBatch("other", {q1}, "c2", 1000) == std::vector<MessageQueue>{q1});  // per group
  CHECK(locks.TryLockBatch("g", {q1}, "c1", 50000) == std::vector<MessageQueue>{q1});      // refresh
  CHECK(locks.TryLockBatch("g", {q0, q1}, "c2", 100000) == std::vector<MessageQueue>{q0});  // q0 expired
  CHECK(locks.IsLocked("g", q1, "c1", 110000));
  CHECK_FALSE(locks.IsLocked("g", q1, "c1", 110001));
  CHECK(locks.TryLockBatch("g", {q1}, "c2", 110001) == std::vector<MessageQueue>{q1});
  locks.UnlockBatch("g", {q1}, "c1");  // not c1's any more: no effect
  CHECK(locks.IsLocked("g", q1, "c2", 110001));
  locks.UnlockBatch("g", {q1}, "c2");
  CHECK_FALSE(locks.IsLocked("g", q1, "c2", 110001));
  CHECK(locks.TryLockBatch("g", {q2}, "c1", 110002).size() == 1);
  CHECK(locks.size() == 3);  // g: q0 (c2), q2 (c1); other: q1
  CHECK(locks.PurgeExpired(170002) == 2);
  CHECK(locks.PurgeExpired(1000000) == 1);
  CHECK(locks.size() == 0);
}

TEST_CASE("lock batch bodies of every client") {
  for (const char* rel : {"java-4.9.8/0085-client2broker-42.bin",
                          "clients/cpp/orderly_push_consumer/0085_broker_41_LOCK_BATCH_MQ.bin",
                          "clients/go/consumer_orderly/0026_broker_41_LOCK_BATCH_MQ.bin"}) {
    CAPTURE(rel);
    auto req = ParseLockBatchRequest(FixtureFrame(Fixtures() / rel).body);
    REQUIRE(req.ok());
    CHECK(req->mqs.size() >= 4);
    CHECK(req->mqs[0].broker_name == "broker-a");
  }
  auto java = ParseLockBatchRequest(Java("0077-client2broker-41.bin").body);
  REQUIRE(java.ok());
  CHECK(EncodeLockBatchRequest(*java) == Java("0077-client2broker-41.bin").body);
  CHECK(EncodeLockBatchResponse(java->mqs) == Java("0078-broker2client-resp.bin").body);
  CHECK(ParseLockBatchResponse(Java("0078-broker2client-resp.bin").body)->size() == 1);
  CHECK_FALSE(ParseLockBatchRequest(R"({"clientId":"c","mqSet":[]})").ok());
  CHECK_FALSE(ParseLockBatchRequest(R"({"clientId":"c","consumerGroup":"g","mqSet":[1]})").ok());
}


// ---- processors on a real ShardSet -------------------------------------------------------------

namespace {

// ClientProcessors alone on a 2-shard ShardSet (connections: mq::testing::FakeConnection).
struct Broker {
  std::unique_ptr<runtime::ShardSet> shards;
  net::ProcessorTable table;
  std::unique_ptr<ClientProcessors> clients;
  std::mutex mu;
  std::shared_ptr<const SubscriptionSnapshot> snapshot;
  std::vector<std::string> seen_groups;

  Broker() {
    runtime::RuntimeOptions ro;
    ro.shard_count = 2;
    auto s = runtime::ShardSet::Start(ro);
    REQUIRE(s.ok());
    shards = std::move(s).value();
    ClientHooks hooks;
    hooks.notify_enabled = [](const std::string& g) { return g != "quiet"; };
    hooks.on_group_seen = [this](const std::string& g) {
      std::lock_guard<std::mutex> lock(mu);
      seen_groups.push_back(g);
    };
    hooks.publish_subscriptions = [this](std::shared_ptr<const SubscriptionSnapshot> snap) {
      std::lock_guard<std::mutex> lock(mu);
      snapshot = std::move(snap);
    };
    clients = std::make_unique<ClientProcessors>(*shards, ClientOptions{}, std::move(hooks));
    clients->Register(table);
    clients->Start();
  }
  ~Broker() {
    shards->RequestStop();
    shards->Join();
  }
  // Dispatches on the connection's shard, as the net layer does, and waits for `answers` responses.
  Command Call(const std::shared_ptr<FakeConnection>& conn, Command req) {
    const size_t before = conn->CountCode(0, true) + CountErrors(conn);
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    REQUIRE(shards->SubmitTo(conn->shard_id(), [this, conn, req, done]() mutable {
      table.Dispatch(conn, std::move(req));
      done->set_value();
    }));
    REQUIRE(fut.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    REQUIRE(WaitFor([&] { return conn->CountCode(0, true) + CountErrors(conn) > before; }));
    for (const auto& c : conn->sent()) last = c;  // the response is the newest frame
    return last;
  }
  static size_t CountErrors(const std::shared_ptr<FakeConnection>& conn) {
    size_t n = 0;
    for (const auto& c : conn->sent()) n += (c.is_response() && c.code != 0) ? 1 : 0;
    return n;
  }
  void OnShard0(std::function<void()> fn) {
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    REQUIRE(shards->SubmitTo(0, [fn, done] { fn(); done->set_value(); }));
    REQUIRE(fut.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  }
  Command last;
};

Command HeartbeatRequest(const std::string& client_id, const std::string& group, const std::string& sub = "*") {
  Command req = Command::Request(remoting::RequestCode::kHeartBeat);
  req.opaque = 7;
  req.body = R"({"clientID":")" + client_id + R"(","consumerDataSet":[{"consumeFromWhere":0,"consumeType":1,)"
             R"("groupName":")" + group + R"(","messageModel":1,"subscriptionDataSet":[{"subString":")" + sub +
             R"(","subVersion":"1","topic":"T"}]}]})";
  return req;
}

Command GroupRequest(int32_t code, const std::string& group, const std::string& client_id = "") {
  Command req = Command::Request(code);
  req.opaque = 9;
  req.ext_fields.Set("consumerGroup", group);
  if (!client_id.empty()) req.ext_fields.Set("clientID", client_id);
  return req;
}

}  // namespace

TEST_CASE("processors answer like the captured Java broker, byte for byte") {
  Broker b;
  auto conn = std::make_shared<FakeConnection>(11, 1, "192.0.2.2:40000");
  auto exact = [&](const std::string& req_file, const std::string& resp_file) {
    CAPTURE(req_file);
    const Command resp = b.Call(conn, Java(req_file));
    CHECK(remoting::EncodeFrame(resp) == ReadFileBytes(Fixtures() / "java-4.9.8" / resp_file));
  };
  exact("0014-client2broker-34.bin", "0015-broker2client-resp.bin");  // producer-only heartbeat
  exact("0018-client2broker-34.bin", "0021-broker2client-resp.bin");  // consumer heartbeat
  // The new consumer is told about its group, as the Java broker did (0020), modulo opaque.
  REQUIRE(WaitFor([&] { return conn->CountCode(40, false) == 1; }));
  Command notify;
  for (const auto& c : conn->sent()) if (c.code == 40) notify = c;
  Command captured = Java("0020-broker2client-40.bin");
  notify.opaque = captured.opaque;
  CHECK(remoting::EncodeFrame(notify) == ReadFileBytes(Fixtures() / "java-4.9.8" / "0020-broker2client-40.bin"));
  exact("0022-client2broker-38.bin", "0023-broker2client-resp.bin");
  exact("0035-client2broker-34.bin", "0036-broker2client-resp.bin");  // same client: no new notify
  CHECK(conn->CountCode(40, false) == 1);
  exact("0077-client2broker-41.bin", "0078-broker2client-resp.bin");
  exact("0085-client2broker-42.bin", "0086-broker2client-resp.bin");
  exact("0049-client2broker-35.bin", "0050-broker2client-resp.bin");
  exact("0051-client2broker-35.bin", "0052-broker2client-resp.bin");
  // ROCKETMQ-encoded requests are answered in ROCKETMQ.
  exact("0139-client2broker-34.bin", "0140-broker2client-resp.bin");
  Command hb = HeartbeatRequest("192.0.2.2@acc_sync_c_1795477195696_28336", "acc_sync_c_1795477195696_28336");
  hb.serialize_type = remoting::SerializeType::kRocketmq;
  CHECK(b.Call(conn, hb).code == 0);
  exact("0143-client2broker-38.bin", "0144-broker2client-resp.bin");
  exact("0160-client2broker-41.bin", "0161-broker2client-resp.bin");
  exact("0162-client2broker-42.bin", "0163-broker2client-resp.bin");
  CHECK(conn->wrong_shard() == 0);
}

TEST_CASE("two consumers: list, close, notification, expiry") {
  Broker b;
  auto a = std::make_shared<FakeConnection>(1, 0, "10.0.0.1:1");
  auto c = std::make_shared<FakeConnection>(2, 1, "10.0.0.2:2");
  CHECK(b.Call(a, HeartbeatRequest("A", "G", "TagA")).code == 0);
  CHECK(b.Call(c, HeartbeatRequest("B", "G", "TagA")).code == 0);
  REQUIRE(WaitFor([&] { return a->CountCode(40, false) == 2 && c->CountCode(40, false) == 1; }));

  const Command list = b.Call(a, GroupRequest(remoting::RequestCode::kGetConsumerListByGroup, "G"));
  CHECK(list.code == 0);
  CHECK(list.body == R"({"consumerIdList":["A","B"]})");
  {
    std::lock_guard<std::mutex> lock(b.mu);
    REQUIRE(b.snapshot != nullptr);
    REQUIRE(b.snapshot->Find("G", "T") != nullptr);
    CHECK(b.snapshot->Find("G", "T")->codes == std::vector<int32_t>{2598919});
    CHECK(b.seen_groups.size() == 2);
  }

  // B's connection closes (reported on its own shard): A hears about it, B does not.
  REQUIRE(b.shards->SubmitTo(1, [&b, c] { b.clients->OnConnectionClosed(c); }));
  REQUIRE(WaitFor([&] { return a->CountCode(40, false) == 3; }));
  CHECK(c->CountCode(40, false) == 1);
  CHECK(b.Call(a, GroupRequest(remoting::RequestCode::kGetConsumerListByGroup, "G")).body ==
        R"({"consumerIdList":["A"]})");

  // Silence longer than 120 s: A is dropped and its connection closed on its own shard.
  b.OnShard0([&] { b.clients->ScanNotActive(runtime::CurrentShard()->now_ms() + 120001); });
  REQUIRE(WaitFor([&] { return a->closed(); }));
  const Command none = b.Call(c, GroupRequest(remoting::RequestCode::kGetConsumerListByGroup, "G"));
  CHECK(none.code == ToInt(ResponseCode::kSystemError));
  CHECK(none.remark == std::optional<std::string>("no consumer for this group, G"));
  {
    std::lock_guard<std::mutex> lock(b.mu);
    CHECK(b.snapshot->groups.empty());
  }
  CHECK(a->wrong_shard() == 0);
  CHECK(c->wrong_shard() == 0);
}

TEST_CASE("unregister notifies the rest; quiet groups are never notified; bad bodies fail") {
  Broker b;
  auto a = std::make_shared<FakeConnection>(1, 1, "10.0.0.1:1");
  auto c = std::make_shared<FakeConnection>(2, 0, "10.0.0.2:2");
  b.Call(a, HeartbeatRequest("A", "G"));
  b.Call(c, HeartbeatRequest("B", "G"));
  b.Call(a, HeartbeatRequest("A", "quiet"));
  REQUIRE(WaitFor([&] { return a->CountCode(40, false) == 2; }));
  CHECK(b.Call(c, GroupRequest(remoting::RequestCode::kUnregisterClient, "G", "B")).code == 0);
  REQUIRE(WaitFor([&] { return a->CountCode(40, false) == 3; }));
  for (const auto& cmd : a->sent()) {
    if (cmd.code == 40) CHECK(*cmd.ext_fields.Find("consumerGroup") == "G");
  }
  Command bad = HeartbeatRequest("A", "G");
  bad.body = "{not json";
  CHECK(b.Call(a, bad).code == ToInt(ResponseCode::kSystemError));
  CHECK(b.Call(a, GroupRequest(remoting::RequestCode::kUnregisterClient, "G")).code ==
        ToInt(ResponseCode::kSystemError));  // clientID is required

  Command check = Command::Request(remoting::RequestCode::kCheckClientConfig);
  const std::string prefix = R"({"clientId":"A","group":"G","subscriptionData":)";
  check.body = prefix + R"({"expressionType":"TAG","subString":"*","topic":"T"}})";
  CHECK(b.Call(a, check).code == 0);
  check.body = prefix + R"({"expressionType":"SQL92","subString":"a>1","topic":"T"}})";
  const Command sql = b.Call(a, check);
  CHECK(sql.code == ToInt(ResponseCode::kSystemError));
  CHECK(sql.remark->find("SQL92") != std::string::npos);
}
