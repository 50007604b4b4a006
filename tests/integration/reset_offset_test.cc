// mqadmin resetOffsetByTime against a real `mq`: a group that consumed and committed everything is
// reset to a time before the sends (INVOKE_BROKER_TO_RESET_OFFSET), and consumerProgress shows its
// offsets back at 0; a reset to -1 moves them to the end again. While the group is online (a pull
// consumer heartbeats) the broker resets and tells it; once it is offline the broker refuses
// (CONSUMER_NOT_ONLINE, like RocketMQ 4.9.x) and the admin rewrites the offsets itself, as mqadmin.
#include <doctest/doctest.h>

#include <chrono>
#include <set>

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

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// (sum of committed offsets, sum of max offsets) of the group on the topic, or (-1, -1).
std::pair<int64_t, int64_t> Progress(mq::Admin& admin, const std::string& group, const std::string& topic) {
  auto p = admin.ConsumerProgress(group, topic);
  if (!p.ok()) return {-1, -1};
  int64_t consumed = 0, stored = 0;
  for (const auto& q : p.value()) {
    if (q.queue.topic != topic) continue;
    consumed += q.consumer_offset;
    stored += q.broker_offset;
  }
  return {consumed, stored};
}

}  // namespace

TEST_CASE("resetOffsetByTime moves a group's committed offsets back to the sends' time") {
  Cluster c;
  const std::string topic = "ResetByTime";
  const std::string group = "cg_reset";
  CreateTopic(c, topic, 2);
  const int64_t before_sends_ms = WallMs() - 1000;
  mq::Producer p(ProducerOpts(c, "pg_reset"));
  REQUIRE(p.Start().ok());
  for (int i = 0; i < 10; ++i) {
    auto r = p.Send(mq::Message(topic, "TagA", "m-" + std::to_string(i)));
    REQUIRE_MESSAGE(r.ok(), r.error().ToString());
  }
  p.Shutdown();

  // The group consumes everything and commits it.
  mq::PullConsumer pc(ConsumerOpts(c, group));
  REQUIRE(pc.Subscribe(topic).ok());
  pc.SetAutoCommit(false);
  REQUIRE(pc.Start().ok());
  std::set<std::string> seen;
  WaitFor([&] {
    for (auto& m : pc.Poll(200)) seen.insert(m.body);
    return seen.size() == 10;
  }, 20s);
  REQUIRE(seen.size() == 10);
  REQUIRE(pc.CommitSync().ok());

  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  REQUIRE(WaitFor([&] { return Progress(admin, group, topic) == std::pair<int64_t, int64_t>{10, 10}; }, 10s));

  auto reset = admin.ResetOffsetByTime(group, topic, before_sends_ms, true);
  REQUIRE_MESSAGE(reset.ok(), reset.ToString());
  auto progress = admin.ConsumerProgress(group, topic);
  REQUIRE(progress.ok());
  REQUIRE(progress->size() == 2);
  for (const auto& q : progress.value()) {
    CAPTURE(q.queue.queue_id);
    CHECK(q.consumer_offset == 0);
    CHECK(q.lag() == q.broker_offset);
  }

  // -1: the end of each queue.
  reset = admin.ResetOffsetByTime(group, topic, -1, true);
  REQUIRE_MESSAGE(reset.ok(), reset.ToString());
  // The online consumer commits what each reset told it asynchronously (as Java's does), so the
  // offsets of the first reset may land after the second one's: wait for them to settle.
  CHECK(WaitFor([&] { return Progress(admin, group, topic) == std::pair<int64_t, int64_t>{10, 10}; }, 10s));

  // A group without offsets on the topic is refused (SYSTEM_ERROR, as the reference).
  reset = admin.ResetOffsetByTime("cg_never", topic, before_sends_ms, true);
  CHECK_FALSE(reset.ok());
  CHECK(reset.code() == 1);
  pc.Shutdown();

  // Offline now (the consumer unregistered): the admin falls back to rewriting the offsets.
  reset = admin.ResetOffsetByTime(group, topic, before_sends_ms, true);
  REQUIRE_MESSAGE(reset.ok(), reset.ToString());
  CHECK(Progress(admin, group, topic) == std::pair<int64_t, int64_t>{0, 10});
  admin.Shutdown();
}
