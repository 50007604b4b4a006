// GET_TOPIC_STATS_INFO (202), GET_CONSUMER_CONNECTION_LIST (203), GET_CONSUME_STATS (208) and
// QUERY_TOPIC_CONSUME_BY_WHO (300) on a real 2-shard MessageStore + ControlPlane with fake
// connections: the bodies parse (fastjson MessageQueue object keys) and carry the stored offsets,
// store times and committed offsets; errors 17 and 206.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <mutex>

#include "broker/control_plane.h"
#include "broker/processors/admin_stats_processor.h"
#include "broker/processors/long_poll.h"
#include "model/properties.h"
#include "remoting/request_code.h"
#include "support/mq_process.h"
#include "support/shard_helpers.h"

using namespace mq;
using namespace mq::broker;
using remoting::Command;
using mq::testing::RunAsyncOn;
using mq::testing::TempDir;
using mq::testing::WaitFor;

namespace {

class CaptureConnection : public net::Connection {
 public:
  CaptureConnection(uint64_t id, uint32_t shard) : id_(id), shard_(shard) {}
  uint64_t id() const override { return id_; }
  uint32_t shard_id() const override { return shard_; }
  const std::string& peer_address() const override { return peer_; }
  void Send(const Command& command) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (runtime::CurrentShard() == nullptr || runtime::CurrentShard()->id() != shard_) ++wrong_shard_;
    sent_.push_back(command);
  }
  void Close() override {}
  bool closed() const override { return false; }
  std::vector<Command> sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  size_t count() const { return sent().size(); }
  int wrong_shard() const {
    std::lock_guard<std::mutex> lock(mu_);
    return wrong_shard_;
  }

 private:
  const uint64_t id_;
  const uint32_t shard_;
  const std::string peer_ = "127.0.0.1:5555";
  mutable std::mutex mu_;
  std::vector<Command> sent_;
  int wrong_shard_ = 0;
};

model::MessageRecord Record(const std::string& topic, int32_t queue_id, const std::string& body,
                            const std::string& tags = "", const std::string& keys = "") {
  model::MessageRecord r;
  r.topic = topic;
  r.queue_id = queue_id;
  r.body = body;
  r.born_timestamp_ms = 1700000000000;
  model::MessageProperties props;
  if (!tags.empty()) props.Set(model::kTags, tags);
  if (!keys.empty()) props.Set(model::kKeys, keys);
  props.Set(model::kUniqKey, "UNIQ-" + body);
  r.properties = props.Encode();
  return r;
}

std::string Ext(const Command& c, const char* key) {
  const std::string* v = c.ext_fields.Find(key);
  return v ? *v : "<absent>";
}

struct BrokerFixture {
  explicit BrokerFixture(bool long_polling = true) {
    runtime::RuntimeOptions ro;
    ro.shard_count = 2;
    auto set = runtime::ShardSet::Start(ro);
    REQUIRE(set.ok());
    shards = std::move(set).value();
    Properties props;
    props.Set("storePathRootDir", dir.path());
    props.Set("mappedFileSizeCommitLog", "1048576");
    props.Set("mappedFileSizeConsumeQueue", "4000");
    props.Set("longPollingEnable", long_polling ? "true" : "false");
    auto sc = store::MessageStoreConfig::FromProperties(props);
    REQUIRE(sc.ok());
    auto opened = store::MessageStore::Open(*sc, 2);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    HostEnvironment env{dir.path(), "test-host", "127.0.0.1", std::nullopt};
    auto bc = BrokerConfig::FromProperties(props, env);
    REQUIRE(bc.ok());
    config = std::make_unique<BrokerConfig>(std::move(bc).value());
    long_poll = std::make_unique<LongPollService>(*shards);
    store->SetArrivalListener(long_poll->Listener());
    REQUIRE(store->Start(*shards).ok());
    control = std::make_unique<ControlPlane>(*config, *shards, [this](std::string_view t, int32_t q) {
      return store->ShardOf(t, q);
    });
    REQUIRE(control->Load().ok());
    control->Start();
    ctx = std::make_unique<BrokerContext>(BrokerContext{*config, *shards, *store, *control, long_poll.get(),
                                                        "127.0.0.1:10911"});
    RegisterAdminStatsProcessors(*ctx, table);
  }
  ~BrokerFixture() {
    control->Stop();
    shards->RequestStop();
    shards->Join();
    store->Shutdown();
  }
  void CreateTopic(const std::string& name, int32_t queues, int32_t perm = 6) {
    const bool ok = RunAsyncOn<bool>(*shards, 0, [this, name, queues, perm](std::function<void(bool)> done) {
      control->CallOnControl(
          [name, queues, perm](ControlPlane::Tables& t) {
            TopicConfig c;
            c.topic_name = name;
            c.read_queue_nums = c.write_queue_nums = queues;
            c.perm = perm;
            return t.topics.UpdateTopic(c);
          },
          [this, done](Status s) {
            control->PublishTopics();
            done(s.ok());
          });
    });
    REQUIRE(ok);
    for (uint32_t i = 0; i < 2; ++i) {
      REQUIRE(WaitFor([&] {
        bool seen = false;
        mq::testing::RunOn(*shards, i, [&] { seen = control->topics().Find(name) != nullptr; });
        return seen;
      }));
    }
  }
  store::PutResult Put(model::MessageRecord r) {
    const uint32_t owner = store->ShardOf(r.topic, r.queue_id);
    const std::string topic = r.topic;
    const int32_t q = r.queue_id;
    auto res = RunAsyncOn<store::PutResult>(*shards, owner, [this, r](std::function<void(store::PutResult)> done) {
      store->Put({r}, true, done);
    });
    REQUIRE(res.status == store::PutStatus::kOk);
    REQUIRE(WaitFor([&] { return MaxOffset(topic, q) > res.queue_offset; }));
    return res;
  }
  int64_t MaxOffset(const std::string& topic, int32_t q) {
    int64_t v = -1;
    mq::testing::RunOn(*shards, store->ShardOf(topic, q), [&] { v = store->MaxOffset(topic, q); });
    return v;
  }
  // Dispatches on the connection's shard; waits for `answers` frames (0: just dispatch).
  Command Call(const std::shared_ptr<CaptureConnection>& conn, Command req, int timeout_ms = 5000) {
    const size_t before = conn->count();
    Dispatch(conn, std::move(req));
    REQUIRE(WaitFor([&] { return conn->count() > before; }, timeout_ms));
    return conn->sent()[before];
  }
  void Dispatch(const std::shared_ptr<CaptureConnection>& conn, Command req) {
    mq::testing::RunOn(*shards, conn->shard_id(), [&] { table.Dispatch(conn, std::move(req)); });
  }

  TempDir dir;
  std::unique_ptr<runtime::ShardSet> shards;
  std::unique_ptr<store::MessageStore> store;
  std::unique_ptr<BrokerConfig> config;
  std::unique_ptr<LongPollService> long_poll;
  std::unique_ptr<ControlPlane> control;
  std::unique_ptr<BrokerContext> ctx;
  net::ProcessorTable table;
};


struct QueueKey {
  std::string broker, topic;
  int32_t queue_id = 0;
  bool operator<(const QueueKey& o) const { return std::tie(topic, queue_id) < std::tie(o.topic, o.queue_id); }
};
using Entry = std::map<std::string, int64_t>;

// Reads an "offsetTable" written with fastjson object keys: {{"brokerName":..}:{...},...}.
std::map<QueueKey, Entry> ParseOffsetTable(const std::string& body, const std::string& prefix) {
  std::map<QueueKey, Entry> out;
  REQUIRE(body.rfind(prefix, 0) == 0);
  size_t pos = prefix.size();
  REQUIRE(body[pos] == '{');
  ++pos;
  auto object = [&](size_t& p) {  // a flat object (no nested braces)
    REQUIRE(body[p] == '{');
    const size_t close = body.find('}', p);
    REQUIRE(close != std::string::npos);
    std::string text = body.substr(p, close - p + 1);
    p = close + 1;
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    return d;
  };
  while (body[pos] != '}') {
    if (body[pos] == ',') ++pos;
    rapidjson::Document k = object(pos);
    REQUIRE(body[pos] == ':');
    ++pos;
    rapidjson::Document v = object(pos);
    QueueKey key{k["brokerName"].GetString(), k["topic"].GetString(), k["queueId"].GetInt()};
    Entry e;
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) e[it->name.GetString()] = it->value.GetInt64();
    out[key] = e;
  }
  CHECK(body.substr(pos) == "}}");
  return out;
}

Command Req(int32_t code, std::map<std::string, std::string> fields) {
  Command c = Command::Request(code);
  c.opaque = 42;
  for (auto& [k, v] : fields) c.ext_fields.Set(k, v);
  return c;
}

void Register(BrokerFixture& f, const std::string& group, const std::vector<std::string>& topics) {
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

void Commit(BrokerFixture& f, const std::string& topic, const std::string& group, int32_t q, int64_t offset) {
  mq::testing::RunOn(*f.shards, f.store->ShardOf(topic, q), [&] { f.control->offsets().Commit(topic, group, q, offset); });
}

}  // namespace

TEST_CASE("admin stats: 202 topic stats, 208 consume stats, 300 consume by who, 203 connections") {
  BrokerFixture f;
  f.CreateTopic("T", 4);
  f.CreateTopic("U", 2);
  // Queue q of T holds q+1 messages (queue 3: 4); U queue 1 holds 2.
  std::map<int32_t, std::vector<int64_t>> times;  // queue -> store time of each message
  for (int32_t q = 0; q < 4; ++q) {
    for (int32_t i = 0; i <= q; ++i) times[q].push_back(f.Put(Record("T", q, "m" + std::to_string(q * 10 + i))).store_timestamp_ms);
  }
  f.Put(Record("U", 1, "u0"));
  f.Put(Record("U", 1, "u1"));
  Commit(f, "T", "G", 2, 2);
  Commit(f, "T", "G", 3, 4);
  Commit(f, "U", "G", 1, 1);
  Commit(f, "T", "H", 0, 1);

  for (uint32_t shard : {0u, 1u}) {
    CAPTURE(shard);
    auto conn = std::make_shared<CaptureConnection>(1 + shard, shard);

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
  auto conn = std::make_shared<CaptureConnection>(9, 1);
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
