// Client-library conveniences over a Cluster: create a topic and wait for its route, and options
// for producers and consumers pointed at the cluster (consumers start from the first offset, rebalance
// every second and keep broadcasting offsets under the cluster's HOME).
#pragma once
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "mq/admin.h"
#include "mq/consumer.h"
#include "mq/producer.h"
#include "support/cluster.h"

namespace mq::testing {

inline void CreateTopic(const Cluster& c, const std::string& topic, int queues = 4) {
  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  mq::TopicOptions o;
  o.read_queue_nums = queues;
  o.write_queue_nums = queues;
  auto r = admin.CreateTopic(c.broker_addr, topic, o);
  REQUIRE_MESSAGE(r.ok(), r.ToString());
  // The broker re-registers at once; wait until the name server has the route.
  const bool routed = WaitFor([&] { return admin.TopicRoute(topic).ok(); }, std::chrono::seconds(10));
  REQUIRE_MESSAGE(routed, "no route for " << topic);
}

inline mq::ProducerOptions ProducerOpts(const Cluster& c, const std::string& group) {
  mq::ProducerOptions o;
  o.group = group;
  o.namesrv_addr = c.ns_addr;
  return o;
}

inline mq::ConsumerOptions ConsumerOpts(const Cluster& c, const std::string& group) {
  mq::ConsumerOptions o;
  o.group = group;
  o.namesrv_addr = c.ns_addr;
  o.from_where = mq::ConsumeFromWhere::kFirstOffset;
  o.rebalance_interval_ms = 1000;  // fast takeover in tests
  o.offset_store_dir = c.home.path() + "/offsets";
  return o;
}

}  // namespace mq::testing
