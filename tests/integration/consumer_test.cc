// Push consumers against real `mq` processes: the orderly retry limit and the DLQ, the broadcasting
// offsets file in Java's layout, a broker-initiated offset reset (mqadmin resetOffsetByTime), and
// consumers started and stopped repeatedly while messages flow. Every wait is bounded.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "client/queue_table.h"
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

struct Seen {
  std::mutex mu;
  std::vector<std::string> bodies;  // in delivery order
  std::map<std::string, int> count;
  void Add(const std::string& b) {
    std::lock_guard<std::mutex> l(mu);
    bodies.push_back(b);
    ++count[b];
  }
  size_t distinct() {
    std::lock_guard<std::mutex> l(mu);
    return count.size();
  }
  size_t total() {
    std::lock_guard<std::mutex> l(mu);
    return bodies.size();
  }
  int times(const std::string& b) {
    std::lock_guard<std::mutex> l(mu);
    auto it = count.find(b);
    return it == count.end() ? 0 : it->second;
  }
};

void SendBodies(const Cluster& c, const std::string& topic, const std::string& prefix, int from, int to) {
  mq::Producer p(ProducerOpts(c, "pg_" + topic));
  REQUIRE(p.Start().ok());
  for (int i = from; i < to; ++i) {
    mq::Message m(topic, "TagA", prefix + std::to_string(i));
    m.keys = "key-" + prefix + std::to_string(i);
    auto r = p.Send(m);
    REQUIRE_MESSAGE(r.ok(), r.error().ToString());
  }
  p.Shutdown();
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Shutdown must come back; a hang fails the test instead of stalling the suite.
template <typename Consumer>
bool ShutdownWithin(Consumer& consumer, std::chrono::seconds limit) {
  auto done = std::async(std::launch::async, [&] { consumer.Shutdown(); });
  if (done.wait_for(limit) == std::future_status::ready) return true;
  std::fprintf(stderr, "consumer shutdown hung; aborting so the hang is visible\n");
  std::abort();  // the future's destructor would block forever otherwise
}

}  // namespace

TEST_CASE("orderly: a message failing max_reconsume_times goes to %DLQ%<group>, the queue goes on in order") {
  Cluster c;
  CreateTopic(c, "OrderDlq", 1);
  SendBodies(c, "OrderDlq", "m", 0, 6);
  auto o = ConsumerOpts(c, "cg_order_dlq");
  o.max_reconsume_times = 2;
  mq::PushConsumer pc(o);
  REQUIRE(pc.Subscribe("OrderDlq").ok());
  Seen ok;
  std::atomic<int> poison_attempts{0};
  std::atomic<int> last_reconsume{-1};
  pc.RegisterListener(mq::OrderlyListener([&](const std::vector<mq::MessageExt>& msgs) {
    for (const auto& m : msgs) {
      if (m.body == "m2") {
        ++poison_attempts;
        last_reconsume = m.reconsume_times;
        return mq::OrderlyResult::kSuspendCurrentQueueAMoment;
      }
    }
    for (const auto& m : msgs) ok.Add(m.body);
    return mq::OrderlyResult::kSuccess;
  }));
  REQUIRE(pc.Start().ok());
  REQUIRE_MESSAGE(WaitFor([&] { return ok.times("m5") > 0; }, 30s), "later messages were not consumed");
  CHECK(poison_attempts == 3);  // the first try and max_reconsume_times (2) retries
  CHECK(last_reconsume == 2);
  {
    std::lock_guard<std::mutex> l(ok.mu);
    CHECK(ok.bodies == std::vector<std::string>{"m0", "m1", "m3", "m4", "m5"});
  }
  CHECK(ShutdownWithin(pc, 30s));

  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  std::vector<mq::MessageExt> found;
  const bool in_dlq = WaitFor(
      [&] {
        auto r = admin.QueryMsgByKey("%DLQ%cg_order_dlq", "key-m2");
        if (!r.ok() || r->empty()) return false;
        found = r.value();
        return true;
      },
      20s);
  REQUIRE_MESSAGE(in_dlq, "m2 is not in %DLQ%cg_order_dlq");
  CHECK(found.front().body == "m2");
}

TEST_CASE("broadcasting: the offsets file has Java's layout and a restarted consumer resumes from it") {
  Cluster c;
  CreateTopic(c, "BcastFile", 2);
  SendBodies(c, "BcastFile", "b", 0, 10);
  auto o = ConsumerOpts(c, "cg_bcast_file");
  o.model = mq::MessageModel::kBroadcasting;
  std::string client_id;
  {
    mq::PushConsumer pc(o);
    REQUIRE(pc.Subscribe("BcastFile").ok());
    Seen seen;
    pc.RegisterListener(mq::ConcurrentListener([&](const std::vector<mq::MessageExt>& msgs) {
      for (const auto& m : msgs) seen.Add(m.body);
      return mq::ConsumeResult::kSuccess;
    }));
    REQUIRE(pc.Start().ok());
    client_id = pc.client_id();
    CHECK(client_id.ends_with("@DEFAULT"));  // Java's broadcasting client id: stable across restarts
    REQUIRE(WaitFor([&] { return seen.distinct() == 10; }, 20s));
    CHECK(ShutdownWithin(pc, 30s));
  }
  const std::string file = o.offset_store_dir + "/" + client_id + "/cg_bcast_file/offsets.json";
  const std::string text = Slurp(file);
  REQUIRE_MESSAGE(!text.empty(), "no offsets file at " << file);
  CHECK(text.rfind(R"({"offsetTable":{{"brokerName":")", 0) == 0);
  auto table = mq::client::ParseQueueOffsetTable(text);
  REQUIRE(table.ok());
  int64_t sum = 0;
  for (const auto& [mq, off] : table.value()) {
    if (mq.topic == "BcastFile") sum += off;
  }
  CHECK(sum == 10);

  SendBodies(c, "BcastFile", "b", 10, 15);
  mq::PushConsumer again(o);
  REQUIRE(again.Subscribe("BcastFile").ok());
  Seen seen;
  again.RegisterListener(mq::ConcurrentListener([&](const std::vector<mq::MessageExt>& msgs) {
    for (const auto& m : msgs) seen.Add(m.body);
    return mq::ConsumeResult::kSuccess;
  }));
  REQUIRE(again.Start().ok());
  CHECK(again.client_id() == client_id);
  REQUIRE(WaitFor([&] { return seen.distinct() >= 5; }, 20s));
  std::this_thread::sleep_for(500ms);  // anything from before the restart would show up by now
  {
    std::lock_guard<std::mutex> l(seen.mu);
    for (const auto& [body, n] : seen.count) CHECK_MESSAGE(std::stoi(body.substr(1)) >= 10, body);
  }
  CHECK(ShutdownWithin(again, 30s));
}

TEST_CASE("a broker-initiated offset reset (resetOffsetByTime) makes a running push consumer consume again") {
  Cluster c;
  CreateTopic(c, "ResetT", 2);
  SendBodies(c, "ResetT", "r", 0, 8);
  auto o = ConsumerOpts(c, "cg_reset");
  o.persist_offset_interval_ms = 300;
  mq::PushConsumer pc(o);
  REQUIRE(pc.Subscribe("ResetT").ok());
  Seen seen;
  pc.RegisterListener(mq::ConcurrentListener([&](const std::vector<mq::MessageExt>& msgs) {
    for (const auto& m : msgs) seen.Add(m.body);
    return mq::ConsumeResult::kSuccess;
  }));
  REQUIRE(pc.Start().ok());
  REQUIRE(WaitFor([&] { return seen.distinct() == 8; }, 20s));
  CHECK(seen.total() == 8);

  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  // The broker resets only a group whose offsets it has: wait for the first commit.
  mq::Outcome reset = mq::Outcome::Fail("not tried");
  REQUIRE(WaitFor(
      [&] {
        reset = admin.ResetOffsetByTime("cg_reset", "ResetT", 0, true);
        return reset.ok();
      },
      15s));
  REQUIRE_MESSAGE(WaitFor([&] { return seen.total() >= 16; }, 20s),
                  "only " << seen.total() << " deliveries after the reset");
  for (int i = 0; i < 8; ++i) CHECK(seen.times("r" + std::to_string(i)) >= 2);
  CHECK(ShutdownWithin(pc, 30s));
}

TEST_CASE("push consumers started and stopped repeatedly while messages flow: every stop returns, nothing lost") {
  Cluster c;
  CreateTopic(c, "Churn", 4);
  std::atomic<bool> producing{true};
  std::atomic<int> sent{0};
  std::thread producer([&] {
    mq::Producer p(ProducerOpts(c, "pg_churn"));
    if (!p.Start().ok()) return;
    const auto until = std::chrono::steady_clock::now() + 6s;
    while (producing && std::chrono::steady_clock::now() < until && sent < 3000) {
      if (p.Send(mq::Message("Churn", "TagA", "c" + std::to_string(sent.load()))).ok()) ++sent;
      std::this_thread::sleep_for(2ms);
    }
    p.Shutdown();
  });
  Seen seen;
  auto opts = ConsumerOpts(c, "cg_churn");
  opts.persist_offset_interval_ms = 200;
  for (int round = 0; round < 4; ++round) {
    auto a = std::make_unique<mq::PushConsumer>(opts);
    auto b = std::make_unique<mq::PushConsumer>(opts);
    std::atomic<int> calls{0};
    for (auto* pc : {a.get(), b.get()}) {
      REQUIRE(pc->Subscribe("Churn").ok());
      pc->RegisterListener(mq::ConcurrentListener([&, pc](const std::vector<mq::MessageExt>& msgs) {
        (void)pc->AssignedQueues();  // listeners calling back into their consumer
        for (const auto& m : msgs) seen.Add(m.body);
        // Now and then a failure: the send-back path runs while consumers come and go (counted
        // as seen: the retry comes back only after the broker's 10 s delay level).
        if (++calls % 97 == 0) return mq::ConsumeResult::kReconsumeLater;
        std::this_thread::sleep_for(1ms);
        return mq::ConsumeResult::kSuccess;
      }));
      REQUIRE(pc->Start().ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 200 * round));
    CHECK(ShutdownWithin(*a, 30s));
    if (round == 3) {
      // The last one stops from inside its own listener.
      std::atomic<bool> stopped{false};
      mq::PushConsumer self_stop(opts);
      REQUIRE(self_stop.Subscribe("Churn").ok());
      self_stop.RegisterListener(mq::ConcurrentListener([&](const std::vector<mq::MessageExt>& msgs) {
        for (const auto& m : msgs) seen.Add(m.body);
        if (!stopped.exchange(true)) self_stop.Shutdown();
        return mq::ConsumeResult::kSuccess;
      }));
      REQUIRE(self_stop.Start().ok());
      CHECK(WaitFor([&] { return stopped.load(); }, 20s));
      CHECK(ShutdownWithin(self_stop, 30s));
    }
    CHECK(ShutdownWithin(*b, 30s));
  }
  producing = false;
  producer.join();
  REQUIRE(sent > 0);
  // A last consumer takes everything still unconsumed (committed offsets + retries).
  mq::PushConsumer last(opts);
  REQUIRE(last.Subscribe("Churn").ok());
  last.RegisterListener(mq::ConcurrentListener([&](const std::vector<mq::MessageExt>& msgs) {
    for (const auto& m : msgs) seen.Add(m.body);
    return mq::ConsumeResult::kSuccess;
  }));
  REQUIRE(last.Start().ok());
  const bool all = WaitFor([&] { return seen.distinct() >= static_cast<size_t>(sent.load()); }, 40s);
  CHECK_MESSAGE(all, "consumed " << seen.distinct() << " of " << sent.load());
  CHECK(ShutdownWithin(last, 30s));
}
