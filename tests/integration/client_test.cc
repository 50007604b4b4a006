// The client library against real `mq` processes: a name server and a broker on ephemeral ports
// with a temporary HOME. Every wait is bounded.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "mq/admin.h"
#include "mq/consumer.h"
#include "mq/producer.h"
#include "support/client_cluster.h"

using namespace std::chrono_literals;
using mq::testing::Cluster;
using mq::testing::ConsumerOpts;
using mq::testing::CreateTopic;
using mq::testing::ProducerOpts;
using mq::testing::WaitFor;

namespace {

// Collects bodies seen by a listener.
struct Sink {
  std::mutex mu;
  std::multiset<std::string> bodies;
  std::map<std::string, std::vector<int>> per_key;  // orderly checks
  size_t size() {
    std::lock_guard<std::mutex> l(mu);
    return std::set<std::string>(bodies.begin(), bodies.end()).size();
  }
};

}  // namespace

TEST_CASE("no route: a clear error that suggests creating the topic") {
  Cluster c;
  // Producers fall back to TBW102 (the broker auto-creates); consumers need the route.
  mq::PushConsumer pc(ConsumerOpts(c, "cg_noroute"));
  REQUIRE(pc.Subscribe("NoSuchTopic").ok());
  pc.RegisterListener(mq::ConcurrentListener([](const std::vector<mq::MessageExt>&) {
    return mq::ConsumeResult::kSuccess;
  }));
  auto r = pc.Start();
  REQUIRE(!r.ok());
  CHECK(r.code() == 17);
  CHECK(r.remark().find("create it") != std::string::npos);
}

TEST_CASE("sync, async and oneway sends, then a pull consumer with seek and commit") {
  Cluster c;
  CreateTopic(c, "SendModes", 2);
  mq::Producer p(ProducerOpts(c, "pg_modes"));
  REQUIRE(p.Start().ok());
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    mq::Message m("SendModes", "TagA", "sync-" + std::to_string(i));
    m.keys = "k" + std::to_string(i);
    auto r = p.Send(m);
    REQUIRE_MESSAGE(r.ok(), r.error().ToString());
    CHECK(r->status == mq::SendStatus::kSendOk);
    CHECK(r->offset_msg_id.size() == 32);
    ids.insert(r->msg_id);
  }
  CHECK(ids.size() == 10);
  std::atomic<int> async_ok{0};
  for (int i = 0; i < 10; ++i) {
    p.SendAsync(mq::Message("SendModes", "TagB", "async-" + std::to_string(i)), [&](mq::Expected<mq::SendResult> r) {
      if (r.ok()) ++async_ok;
    });
  }
  for (int i = 0; i < 10; ++i) REQUIRE(p.SendOneway(mq::Message("SendModes", "oneway-" + std::to_string(i))).ok());
  CHECK(WaitFor([&] { return async_ok == 10; }, 10s));

  mq::PullConsumer pc(ConsumerOpts(c, "cg_pull"));
  REQUIRE(pc.Subscribe("SendModes").ok());
  pc.SetAutoCommit(false);
  REQUIRE(pc.Start().ok());
  std::set<std::string> seen;
  WaitFor([&] {
    for (auto& m : pc.Poll(200)) seen.insert(m.body);
    return seen.size() == 30;
  }, 20s);
  CHECK(seen.size() == 30);
  REQUIRE(pc.CommitSync().ok());
  auto queues = pc.Assignment();
  REQUIRE(queues.size() == 2);
  auto committed = pc.Committed(queues[0]);
  REQUIRE(committed.ok());
  CHECK(committed.value() > 0);
  REQUIRE(pc.Seek(queues[0], 0).ok());
  size_t again = 0;
  WaitFor([&] {
    again += pc.Poll(200).size();
    return again >= static_cast<size_t>(committed.value());
  }, 10s);
  CHECK(again == static_cast<size_t>(committed.value()));
}

TEST_CASE("push consumers in clustering split the queues and the survivor takes over") {
  Cluster c;
  CreateTopic(c, "Cluster", 4);
  Sink sink;
  auto listener = [&](const std::vector<mq::MessageExt>& msgs) {
    std::lock_guard<std::mutex> l(sink.mu);
    for (const auto& m : msgs) sink.bodies.insert(m.body);
    return mq::ConsumeResult::kSuccess;
  };
  auto a = std::make_unique<mq::PushConsumer>(ConsumerOpts(c, "cg_cluster"));
  mq::PushConsumer b(ConsumerOpts(c, "cg_cluster"));
  for (auto* pc : {a.get(), &b}) {
    REQUIRE(pc->Subscribe("Cluster").ok());
    pc->RegisterListener(mq::ConcurrentListener(listener));
    REQUIRE(pc->Start().ok());
  }
  CHECK(WaitFor([&] { return a->AssignedQueues().size() == 2 && b.AssignedQueues().size() == 2; }, 15s));
  mq::Producer p(ProducerOpts(c, "pg_cluster"));
  REQUIRE(p.Start().ok());
  for (int i = 0; i < 40; ++i) REQUIRE(p.Send(mq::Message("Cluster", "m" + std::to_string(i))).ok());
  CHECK(WaitFor([&] { return sink.size() == 40; }, 20s));
  a->Shutdown();
  a.reset();
  CHECK(WaitFor([&] { return b.AssignedQueues().size() == 4; }, 15s));
  for (int i = 40; i < 80; ++i) REQUIRE(p.Send(mq::Message("Cluster", "m" + std::to_string(i))).ok());
  CHECK(WaitFor([&] { return sink.size() == 80; }, 20s));
}

TEST_CASE("broadcasting: every consumer receives everything") {
  Cluster c;
  CreateTopic(c, "Broadcast", 2);
  Sink s1, s2;
  auto make = [&](Sink& s) {
    return [&s](const std::vector<mq::MessageExt>& msgs) {
      std::lock_guard<std::mutex> l(s.mu);
      for (const auto& m : msgs) s.bodies.insert(m.body);
      return mq::ConsumeResult::kSuccess;
    };
  };
  auto o = ConsumerOpts(c, "cg_bcast");
  o.model = mq::MessageModel::kBroadcasting;
  mq::PushConsumer c1(o), c2(o);
  REQUIRE(c1.Subscribe("Broadcast").ok());
  REQUIRE(c2.Subscribe("Broadcast").ok());
  c1.RegisterListener(mq::ConcurrentListener(make(s1)));
  c2.RegisterListener(mq::ConcurrentListener(make(s2)));
  REQUIRE(c1.Start().ok());
  REQUIRE(c2.Start().ok());
  mq::Producer p(ProducerOpts(c, "pg_bcast"));
  REQUIRE(p.Start().ok());
  for (int i = 0; i < 20; ++i) REQUIRE(p.Send(mq::Message("Broadcast", "b" + std::to_string(i))).ok());
  CHECK(WaitFor([&] { return s1.size() == 20 && s2.size() == 20; }, 20s));
}

TEST_CASE("orderly: per-key order is kept; tags filter; batches arrive whole") {
  Cluster c;
  CreateTopic(c, "Orderly", 4);
  mq::Producer p(ProducerOpts(c, "pg_order"));
  REQUIRE(p.Start().ok());
  Sink sink;
  auto o = ConsumerOpts(c, "cg_order");
  o.consume_threads = 4;
  mq::PushConsumer oc(o);
  REQUIRE(oc.Subscribe("Orderly", "TagA || TagB").ok());
  oc.RegisterListener(mq::OrderlyListener([&](const std::vector<mq::MessageExt>& msgs) {
    std::lock_guard<std::mutex> l(sink.mu);
    for (const auto& m : msgs) {
      CHECK(m.tags != "TagC");
      sink.bodies.insert(m.body);
      sink.per_key[m.keys].push_back(std::stoi(m.Property("seq")));
    }
    return mq::OrderlyResult::kSuccess;
  }));
  REQUIRE(oc.Start().ok());
  const char* tags[] = {"TagA", "TagB", "TagC"};
  int expected = 0;
  for (int i = 0; i < 60; ++i) {
    mq::Message m("Orderly", tags[i % 3], "o" + std::to_string(i));
    m.keys = "order" + std::to_string(i % 5);
    m.properties["seq"] = std::to_string(i);
    if (i % 3 != 2) ++expected;
    REQUIRE(p.Send(m, mq::SelectByHash, m.keys).ok());
  }
  std::vector<mq::Message> batch;
  for (int i = 0; i < 10; ++i) {
    mq::Message m("Orderly", "TagA", "batch" + std::to_string(i));
    m.keys = "batchkey";
    m.properties["seq"] = std::to_string(100 + i);
    batch.push_back(m);
  }
  auto br = p.SendBatch(batch);
  REQUIRE_MESSAGE(br.ok(), br.error().ToString());
  CHECK(WaitFor([&] { return sink.size() == static_cast<size_t>(expected + 10); }, 30s));
  std::lock_guard<std::mutex> l(sink.mu);
  for (const auto& [key, seqs] : sink.per_key) {
    INFO("key " << key);
    CHECK(std::is_sorted(seqs.begin(), seqs.end()));
  }
}

TEST_CASE("a failed message comes back through the retry topic with its original topic") {
  Cluster c;
  CreateTopic(c, "RetryMe", 1);
  std::mutex mu;
  std::vector<std::pair<std::string, int>> deliveries;  // topic, reconsume times
  mq::PushConsumer pc(ConsumerOpts(c, "cg_retry"));
  REQUIRE(pc.Subscribe("RetryMe").ok());
  pc.RegisterListener(mq::ConcurrentListener([&](const std::vector<mq::MessageExt>& msgs) {
    std::lock_guard<std::mutex> l(mu);
    for (const auto& m : msgs) deliveries.emplace_back(m.topic, m.reconsume_times);
    return deliveries.size() == 1 ? mq::ConsumeResult::kReconsumeLater : mq::ConsumeResult::kSuccess;
  }));
  REQUIRE(pc.Start().ok());
  mq::Producer p(ProducerOpts(c, "pg_retry"));
  REQUIRE(p.Start().ok());
  REQUIRE(p.Send(mq::Message("RetryMe", "fail-once")).ok());
  // First retry delay is level 3 (10 s) on the broker.
  CHECK(WaitFor([&] {
    std::lock_guard<std::mutex> l(mu);
    return deliveries.size() >= 2;
  }, 40s));
  std::lock_guard<std::mutex> l(mu);
  REQUIRE(deliveries.size() >= 2);
  CHECK(deliveries[1].first == "RetryMe");
  CHECK(deliveries[1].second == 1);
}

TEST_CASE("admin queries find a sent message by key, by both ids and by queue offset") {
  Cluster c;
  CreateTopic(c, "QueryT", 2);
  mq::Producer p(ProducerOpts(c, "pg_query"));
  REQUIRE(p.Start().ok());
  mq::Message m("QueryT", "TagQ", "find-me");
  m.keys = "order-4711 customer-9";
  auto sent = p.Send(m);
  REQUIRE_MESSAGE(sent.ok(), sent.error().ToString());
  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  std::vector<mq::MessageExt> hits;
  // The index is built by the dispatcher right after the append: allow it a moment.
  REQUIRE(WaitFor([&] {
    auto r = admin.QueryMsgByKey("QueryT", "customer-9");
    if (r.ok()) hits = r.value();
    return !hits.empty();
  }, 5000ms));
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].body == "find-me");
  CHECK(hits[0].tags == "TagQ");
  auto none = admin.QueryMsgByKey("QueryT", "no-such-key");  // QUERY_NOT_FOUND on the broker: no message
  CHECK((!none.ok() || none->empty()));
  auto by_offset_id = admin.QueryMsgById("QueryT", sent->offset_msg_id);
  REQUIRE_MESSAGE(by_offset_id.ok(), by_offset_id.error().ToString());
  CHECK(by_offset_id->body == "find-me");
  auto by_uniq = admin.QueryMsgById("QueryT", sent->msg_id);
  REQUIRE_MESSAGE(by_uniq.ok(), by_uniq.error().ToString());
  CHECK(by_uniq->body == "find-me");
  auto by_queue = admin.QueryMsgByOffset(sent->queue, sent->queue_offset);
  REQUIRE_MESSAGE(by_queue.ok(), by_queue.error().ToString());
  CHECK(by_queue->body == "find-me");
}
