// Broker unit-test fixtures: a fake connection that records the frames sent to it (and whether
// they were sent on its own shard), and a broker core on a real 2-shard ShardSet (MessageStore +
// LongPollService + ControlPlane + BrokerContext, files under a temporary directory) with helpers
// to create topics, store messages, commit offsets and dispatch requests. The fixture registers no
// processor: each test registers the ones it exercises in `table`. Every wait is bounded.
#pragma once
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <mutex>
#include <string>
#include <vector>

#include "broker/broker_context.h"
#include "broker/control_plane.h"
#include "broker/processors/long_poll.h"
#include "model/message_record.h"
#include "model/properties.h"
#include "net/connection.h"
#include "net/processor_table.h"
#include "remoting/command.h"
#include "support/mq_process.h"
#include "support/shard_helpers.h"

namespace mq::testing {

class FakeConnection : public net::Connection {
 public:
  FakeConnection(uint64_t id, uint32_t shard, std::string peer = "127.0.0.1:5555")
      : id_(id), shard_(shard), peer_(std::move(peer)) {}
  uint64_t id() const override { return id_; }
  uint32_t shard_id() const override { return shard_; }
  const std::string& peer_address() const override { return peer_; }
  void Send(const remoting::Command& command) override {
    std::lock_guard<std::mutex> lock(mu_);
    CheckShard();
    sent_.push_back(command);
  }
  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    CheckShard();
    closed_ = true;
  }
  bool closed() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  std::vector<remoting::Command> sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  size_t count() const { return sent().size(); }
  // Frames sent off the connection's shard (must stay 0).
  int wrong_shard() const {
    std::lock_guard<std::mutex> lock(mu_);
    return wrong_shard_;
  }
  size_t CountCode(int32_t code, bool response) const {
    size_t n = 0;
    for (const auto& c : sent()) n += (c.code == code && c.is_response() == response) ? 1 : 0;
    return n;
  }

 private:
  void CheckShard() {
    if (runtime::CurrentShard() == nullptr || runtime::CurrentShard()->id() != shard_) ++wrong_shard_;
  }
  const uint64_t id_;
  const uint32_t shard_;
  const std::string peer_;
  mutable std::mutex mu_;
  std::vector<remoting::Command> sent_;
  bool closed_ = false;
  int wrong_shard_ = 0;
};

// A message for `topic`/`queue_id` with optional tags and keys; UNIQ_KEY is "UNIQ-<body>".
inline model::MessageRecord Record(const std::string& topic, int32_t queue_id, const std::string& body,
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

// An ext field's value, "<absent>" when missing.
inline std::string Ext(const remoting::Command& c, const char* key) {
  const std::string* v = c.ext_fields.Find(key);
  return v ? *v : "<absent>";
}

// A MessageQueue as a fastjson object key ({"brokerName":..,"queueId":..,"topic":..}).
struct QueueKey {
  std::string broker, topic;
  int32_t queue_id = 0;
  bool operator<(const QueueKey& o) const { return std::tie(topic, queue_id) < std::tie(o.topic, o.queue_id); }
};

// Reads a map written with fastjson MessageQueue object keys, {{"brokerName":..}:value,...}, starting
// at text[pos] == '{'; values are flat objects or scalars, returned as their JSON text. pos ends
// after the closing brace.
inline std::map<QueueKey, std::string> ParseQueueMap(const std::string& text, size_t& pos) {
  std::map<QueueKey, std::string> out;
  REQUIRE(pos < text.size());
  REQUIRE(text[pos] == '{');
  ++pos;
  while (pos < text.size() && text[pos] != '}') {
    if (text[pos] == ',') ++pos;
    REQUIRE(text[pos] == '{');
    const size_t key_end = text.find('}', pos);
    REQUIRE(key_end != std::string::npos);
    rapidjson::Document k;
    k.Parse(text.substr(pos, key_end - pos + 1).c_str());
    REQUIRE_FALSE(k.HasParseError());
    pos = key_end + 1;
    REQUIRE(text[pos] == ':');
    ++pos;
    const size_t value_end = text[pos] == '{' ? text.find('}', pos) + 1 : text.find_first_of(",}", pos);
    REQUIRE(value_end != std::string::npos);
    QueueKey key{k["brokerName"].GetString(), k["topic"].GetString(), k["queueId"].GetInt()};
    out[key] = text.substr(pos, value_end - pos);
    pos = value_end;
  }
  REQUIRE(pos < text.size());
  ++pos;
  return out;
}

struct BrokerFixture {
  static constexpr uint32_t kShards = 2;

  explicit BrokerFixture(bool long_polling = true) {
    runtime::RuntimeOptions ro;
    ro.shard_count = kShards;
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
    auto opened = store::MessageStore::Open(*sc, kShards);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    broker::HostEnvironment env{dir.path(), "test-host", "127.0.0.1", std::nullopt};
    auto bc = broker::BrokerConfig::FromProperties(props, env);
    REQUIRE(bc.ok());
    config = std::make_unique<broker::BrokerConfig>(std::move(bc).value());
    long_poll = std::make_unique<broker::LongPollService>(*shards);
    store->SetArrivalListener(long_poll->Listener());
    REQUIRE(store->Start(*shards).ok());
    control = std::make_unique<broker::ControlPlane>(*config, *shards, [this](std::string_view t, int32_t q) {
      return store->ShardOf(t, q);
    });
    REQUIRE(control->Load().ok());
    control->Start();
    ctx = std::make_unique<broker::BrokerContext>(
        broker::BrokerContext{*config, *shards, *store, *control, long_poll.get(), "127.0.0.1:10911"});
  }
  ~BrokerFixture() {
    control->Stop();
    shards->RequestStop();
    shards->Join();
    store->Shutdown();
  }
  BrokerFixture(const BrokerFixture&) = delete;
  BrokerFixture& operator=(const BrokerFixture&) = delete;

  // Creates (or updates) a topic on shard 0 and waits until every shard's replica has it.
  void CreateTopic(const std::string& name, int32_t queues, int32_t perm = 6) {
    const bool ok = RunAsyncOn<bool>(*shards, 0, [this, name, queues, perm](std::function<void(bool)> done) {
      control->CallOnControl(
          [name, queues, perm](broker::ControlPlane::Tables& t) {
            broker::TopicConfig c;
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
    for (uint32_t i = 0; i < kShards; ++i) {
      REQUIRE(WaitFor([&] {
        bool seen = false;
        RunOn(*shards, i, [&] { seen = control->topics().Find(name) != nullptr; });
        return seen;
      }));
    }
  }
  // Stores one message on its queue's shard and waits until the queue shows it.
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
    RunOn(*shards, store->ShardOf(topic, q), [&] { v = store->MaxOffset(topic, q); });
    return v;
  }
  // The group's committed offset on the queue's shard (-1 when none).
  int64_t Committed(const std::string& topic, const std::string& group, int32_t q) {
    int64_t v = -1;
    RunOn(*shards, store->ShardOf(topic, q), [&] { v = control->offsets().Query(topic, group, q).value_or(-1); });
    return v;
  }
  void Commit(const std::string& topic, const std::string& group, int32_t q, int64_t offset) {
    RunOn(*shards, store->ShardOf(topic, q), [&] { control->offsets().Commit(topic, group, q, offset); });
  }
  // Dispatches on the connection's shard and returns the first frame sent after it (waits up to timeout_ms).
  remoting::Command Call(const std::shared_ptr<FakeConnection>& conn, remoting::Command req, int timeout_ms = 5000) {
    const size_t before = conn->count();
    Dispatch(conn, std::move(req));
    REQUIRE(WaitFor([&] { return conn->count() > before; }, timeout_ms));
    return conn->sent()[before];
  }
  void Dispatch(const std::shared_ptr<FakeConnection>& conn, remoting::Command req) {
    RunOn(*shards, conn->shard_id(), [&] { table.Dispatch(conn, std::move(req)); });
  }

  TempDir dir;
  std::unique_ptr<runtime::ShardSet> shards;
  std::unique_ptr<store::MessageStore> store;
  std::unique_ptr<broker::BrokerConfig> config;
  std::unique_ptr<broker::LongPollService> long_poll;
  std::unique_ptr<broker::ControlPlane> control;
  std::unique_ptr<broker::BrokerContext> ctx;
  net::ProcessorTable table;
};

}  // namespace mq::testing
