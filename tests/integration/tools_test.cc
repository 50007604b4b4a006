// `mq produce`, `mq consume` and `mq admin` as child processes against real `mq` processes (a name
// server and a broker on ephemeral ports, temporary HOME). Every command runs under `timeout`.
// Also: large bodies from mq::Producer travel and are stored compressed (the library in-process).
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/client_cluster.h"
#include "support/cluster.h"

using mq::testing::Cluster;
using mq::testing::WaitFor;

namespace {

struct Run {
  int rc = -1;
  std::string out;  // stdout and stderr
};

// Runs `mq <args>` with HOME=home through the shell, bounded by `timeout`.
Run Mq(const std::string& home, const std::string& args, int limit_s = 30) {
  const std::string cmd = "HOME='" + home + "' timeout -k 5 " + std::to_string(limit_s) + " '" +
                          mq::testing::MqBinary() + "' " + args + " 2>&1 </dev/null";
  Run r;
  FILE* f = popen(cmd.c_str(), "r");
  REQUIRE(f != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(f);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  MESSAGE("mq " << args << " -> rc " << r.rc << "\n" << r.out);
  return r;
}

size_t CountLines(const std::string& s, const std::string& prefix) {
  size_t n = 0, pos = 0;
  while (pos < s.size()) {
    size_t end = s.find('\n', pos);
    if (end == std::string::npos) end = s.size();
    if (s.compare(pos, prefix.size(), prefix) == 0) ++n;
    pos = end + 1;
  }
  return n;
}

}  // namespace

TEST_CASE("mq admin, produce and consume against a running mq") {
  Cluster c;
  const std::string& h = c.home.path();

  auto created = Mq(h, "admin updateTopic -n " + c.ns_addr + " -b " + c.broker_addr + " -t CliTopic -r 2 -w 2");
  REQUIRE(created.rc == 0);
  CHECK(created.out.find("create topic to " + c.broker_addr + " success.") != std::string::npos);

  // The broker re-registers at once; wait (bounded) until the name server has the route.
  bool routed = false;
  for (int i = 0; i < 50 && !routed; ++i) {
    auto route = Mq(h, "admin topicRoute -n " + c.ns_addr + " -t CliTopic --json", 10);
    routed = route.rc == 0 && route.out.find("\"writeQueueNums\":2") != std::string::npos;
    if (!routed) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE(routed);

  auto produced = Mq(h, "produce -n " + c.ns_addr + " -t CliTopic --tags TagA --keys cli-key -c 5");
  REQUIRE(produced.rc == 0);
  CHECK(CountLines(produced.out, "SEND_OK msgId=") == 5);
  CHECK(produced.out.find("sync: 5 sent, 0 failed to CliTopic") != std::string::npos);

  auto consumed = Mq(h, "consume -n " + c.ns_addr + " -t CliTopic -g cli_group -c 5 --from-first --timeout-s 30", 40);
  CHECK(consumed.rc == 0);
  CHECK(CountLines(consumed.out, "topic=CliTopic queue=") == 5);
  CHECK(consumed.out.find("tags=TagA keys=cli-key") != std::string::npos);
  CHECK(consumed.out.find("body=Hello mq 4") != std::string::npos);

  auto by_key = Mq(h, "admin queryMsgByKey -n " + c.ns_addr + " -t CliTopic -k cli-key --json");
  CHECK(by_key.rc == 0);
  size_t hits = 0;
  for (size_t pos = 0; (pos = by_key.out.find("\"keys\":\"cli-key\"", pos)) != std::string::npos; ++pos) ++hits;
  CHECK(hits == 5);
  auto by_key_table = Mq(h, "admin queryMsgByKey -n " + c.ns_addr + " -t CliTopic -k cli-key");
  CHECK(by_key_table.rc == 0);
  CHECK(by_key_table.out.rfind("#Message ID", 0) == 0);

  auto list = Mq(h, "admin topicList -n " + c.ns_addr + " --json");
  CHECK(list.rc == 0);
  CHECK(list.out.rfind("{\"topicList\":[", 0) == 0);
  CHECK(list.out.find("\"CliTopic\"") != std::string::npos);

  auto clusters = Mq(h, "admin clusterList -n " + c.ns_addr);
  CHECK(clusters.rc == 0);
  CHECK(clusters.out.find(c.broker_addr) != std::string::npos);

  // queryMsgByOffset with the broker name and queue of the first consumed line, queryMsgById with a
  // msgId printed by produce.
  const size_t q = consumed.out.find("topic=CliTopic queue=");
  REQUIRE(q != std::string::npos);
  const size_t name_begin = q + std::string("topic=CliTopic queue=").size();
  const size_t hash = consumed.out.find('#', name_begin);
  const size_t space = consumed.out.find(' ', hash);
  REQUIRE(hash != std::string::npos);
  const std::string broker_name = consumed.out.substr(name_begin, hash - name_begin);
  const std::string queue_id = consumed.out.substr(hash + 1, space - hash - 1);
  auto by_offset = Mq(h, "admin queryMsgByOffset -n " + c.ns_addr + " -t CliTopic -b " + broker_name + " -i " + queue_id +
                             " -o 0");
  CHECK(by_offset.rc == 0);
  CHECK(by_offset.out.find("Message Body:") != std::string::npos);
  CHECK(by_offset.out.find("Hello mq ") != std::string::npos);

  const size_t id_pos = produced.out.find("msgId=");
  REQUIRE(id_pos != std::string::npos);
  const std::string msg_id = produced.out.substr(id_pos + 6, produced.out.find(' ', id_pos) - id_pos - 6);
  auto by_id = Mq(h, "admin queryMsgById -n " + c.ns_addr + " -t CliTopic -i " + msg_id + " --json");
  CHECK(by_id.rc == 0);
  CHECK(by_id.out.find("\"body\":\"Hello mq 0\"") != std::string::npos);
}

TEST_CASE("the tools say what to do when the name server or the topic is missing") {
  Cluster c;
  const std::string& h = c.home.path();
  auto no_ns = Mq(h, "produce -n 127.0.0.1:1 -t Whatever -c 1 --send-timeout-ms 2000");
  CHECK(no_ns.rc != 0);
  CHECK(no_ns.out.find("no name server reachable at 127.0.0.1:1") != std::string::npos);

  auto no_topic = Mq(h, "consume -n " + c.ns_addr + " -t NoSuchTopic -g g1 -c 1 --timeout-s 5");
  CHECK(no_topic.rc != 0);
  CHECK(no_topic.out.find("mq admin updateTopic -t NoSuchTopic") != std::string::npos);

  auto usage = Mq(h, "admin topicRoute -n " + c.ns_addr);  // -t missing
  CHECK(usage.rc != 0);
  CHECK(usage.out.find("--topic is required") != std::string::npos);
}

namespace {

// TOTALSIZE of the commit-log record at `offset` (the store's first 1 GiB file), -1 if unreadable.
int64_t StoredRecordSize(const std::string& home, int64_t offset) {
  std::ifstream in(home + "/store/commitlog/00000000000000000000", std::ios::binary);
  if (!in) return -1;
  in.seekg(offset);
  unsigned char b[4];
  if (!in.read(reinterpret_cast<char*>(b), 4)) return -1;
  return (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]};
}

std::string BigText(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "compressible line " + std::to_string(i % 251) + "\n";
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("a 64 KiB body from mq::Producer is stored compressed and arrives intact at push and pull consumers") {
  Cluster c;
  mq::testing::CreateTopic(c, "ZipTopic", 1);
  const std::string big = BigText(64 * 1024);

  mq::Producer producer(mq::testing::ProducerOpts(c, "zip_pg"));
  REQUIRE(producer.Start().ok());
  mq::Message msg("ZipTopic", "TagZ", big);
  msg.keys = "zip-key";
  auto sent = producer.Send(msg);
  REQUIRE_MESSAGE(sent.ok(), sent.error().ToString());
  CHECK(msg.body == big);  // the caller's message is left as it was
  auto small = producer.Send(mq::Message("ZipTopic", "TagZ", "small body"));
  REQUIRE(small.ok());
  auto other_tag = producer.Send(mq::Message("ZipTopic", "TagOther", big));
  REQUIRE(other_tag.ok());

  // Stored as sent: COMPRESSED flag, and a record far smaller than the body.
  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  auto stored = admin.QueryMsgByOffset(sent->queue, sent->queue_offset);
  REQUIRE_MESSAGE(stored.ok(), stored.error().ToString());
  CHECK((stored->sys_flag & 1) == 1);
  CHECK(stored->body == big);
  const int64_t record_bytes = StoredRecordSize(c.home.path(), stored->commit_log_offset);
  MESSAGE("64 KiB body stored in a " << record_bytes << "-byte record");
  CHECK(record_bytes > 0);
  CHECK(record_bytes < 8 * 1024);
  auto plain = admin.QueryMsgByOffset(small->queue, small->queue_offset);
  REQUIRE(plain.ok());
  CHECK((plain->sys_flag & 1) == 0);
  // Keys are indexed from the properties, which are never compressed.
  auto by_key = admin.QueryMsgByKey("ZipTopic", "zip-key");
  REQUIRE(by_key.ok());
  REQUIRE(by_key->size() == 1);
  CHECK(by_key->front().body == big);

  // A push consumer filtering on TagZ (the broker filters by tag hash, the body plays no part).
  std::mutex mu;
  std::vector<std::string> pushed;
  mq::PushConsumer push(mq::testing::ConsumerOpts(c, "zip_push"));
  REQUIRE(push.Subscribe("ZipTopic", "TagZ").ok());
  push.RegisterListener([&](const std::vector<mq::MessageExt>& msgs) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& m : msgs) pushed.push_back(m.body);
    return mq::ConsumeResult::kSuccess;
  });
  REQUIRE(push.Start().ok());

  mq::PullConsumer pull(mq::testing::ConsumerOpts(c, "zip_pull"));
  REQUIRE(pull.Subscribe("ZipTopic", "*").ok());
  REQUIRE(pull.Start().ok());
  std::vector<mq::MessageExt> polled;
  CHECK(WaitFor([&] {
    for (auto& m : pull.Poll(200)) polled.push_back(std::move(m));
    return polled.size() >= 3;
  }, std::chrono::seconds(20)));
  REQUIRE(polled.size() == 3);
  CHECK(polled[0].body == big);
  CHECK(polled[1].body == "small body");
  CHECK(polled[2].body == big);
  CHECK(polled[2].tags == "TagOther");

  CHECK(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return pushed.size() >= 2;
  }, std::chrono::seconds(20)));
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(pushed.size() == 2);  // TagOther filtered out
    CHECK(pushed[0] == big);
    CHECK(pushed[1] == "small body");
  }
  push.Shutdown();
  pull.Shutdown();
  producer.Shutdown();
}

TEST_CASE("mq admin brokerStatus and updateSubGroup") {
  Cluster c;
  const std::string& h = c.home.path();
  const std::string ns = " -n " + c.ns_addr;

  auto status = Mq(h, "admin brokerStatus" + ns + " -b " + c.broker_addr);
  REQUIRE(status.rc == 0);
  CHECK(status.out.find("brokerVersionDesc               : V4_9_8") != std::string::npos);
  CHECK(status.out.find("\nmsgPutTotalTodayNow             : ") != std::string::npos);
  // Sorted by key, as mqadmin's TreeMap.
  CHECK(status.out.find("bootTimestamp") < status.out.find("brokerVersionDesc"));
  CHECK(status.out.find("brokerVersionDesc") < status.out.find("msgPutTotalTodayNow"));

  auto by_cluster = Mq(h, "admin brokerStatus" + ns + " -c DefaultCluster");
  CHECK(by_cluster.rc == 0);
  CHECK(by_cluster.out.find(c.broker_addr) == 0);  // every line starts with the broker address
  CHECK(by_cluster.out.find("msgPutTotalTodayNow") != std::string::npos);

  auto json = Mq(h, "admin brokerStatus" + ns + " -b " + c.broker_addr + " --json");
  CHECK(json.rc == 0);
  CHECK(json.out.rfind("{\"" + c.broker_addr + "\":{", 0) == 0);
  CHECK(json.out.find("\"brokerVersionDesc\":\"V4_9_8\"") != std::string::npos);

  auto unreachable = Mq(h, "admin brokerStatus" + ns + " -b 127.0.0.1:1 --timeout-ms 2000");
  CHECK(unreachable.rc != 0);
  CHECK(unreachable.out.find("cannot reach broker 127.0.0.1:1") != std::string::npos);
  CHECK(unreachable.out.find("mq admin clusterList") != std::string::npos);
  auto no_cluster = Mq(h, "admin brokerStatus" + ns + " -c NoSuchCluster");
  CHECK(no_cluster.rc != 0);
  CHECK(no_cluster.out.find("no cluster named NoSuchCluster") != std::string::npos);

  auto updated = Mq(h, "admin updateSubGroup" + ns + " -b " + c.broker_addr + " -g cli_sub_group -r 3 -q 2");
  REQUIRE(updated.rc == 0);
  CHECK(updated.out.find("create subscription group to " + c.broker_addr + " success.") != std::string::npos);
  CHECK(updated.out.find("SubscriptionGroupConfig [groupName=cli_sub_group, consumeEnable=true, "
                         "consumeFromMinEnable=false, consumeBroadcastEnable=false, retryQueueNums=2, "
                         "retryMaxTimes=3, brokerId=0") != std::string::npos);
  auto in_cluster = Mq(h, "admin updateSubGroup" + ns + " -c DefaultCluster -g cli_off_group -s false --json");
  CHECK(in_cluster.rc == 0);
  CHECK(in_cluster.out.find("\"ok\":true") != std::string::npos);
  CHECK(in_cluster.out.find("\"consumeEnable\":false") != std::string::npos);

  // The broker keeps what was sent (GET_ALL_SUBSCRIPTIONGROUP_CONFIG) ...
  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  auto groups = admin.SubscriptionGroups(c.broker_addr);
  REQUIRE_MESSAGE(groups.ok(), groups.error().ToString());
  REQUIRE(groups->count("cli_sub_group") == 1);
  const mq::SubscriptionGroupOptions& g = groups->at("cli_sub_group");
  CHECK(g.retry_max_times == 3);
  CHECK(g.retry_queue_nums == 2);
  CHECK(g.consume_enable);
  CHECK_FALSE(g.consume_broadcast_enable);
  CHECK_FALSE(g.consume_from_min_enable);
  REQUIRE(groups->count("cli_off_group") == 1);
  CHECK_FALSE(groups->at("cli_off_group").consume_enable);

  // ... and honours it: a group with consumeEnable=false is refused pulls, so nothing is consumed.
  mq::testing::CreateTopic(c, "SubGroupTopic", 1);
  mq::Producer producer(mq::testing::ProducerOpts(c, "sub_pg"));
  REQUIRE(producer.Start().ok());
  REQUIRE(producer.Send(mq::Message("SubGroupTopic", "x")).ok());
  std::atomic<int> consumed{0};
  mq::PushConsumer off(mq::testing::ConsumerOpts(c, "cli_off_group"));
  REQUIRE(off.Subscribe("SubGroupTopic").ok());
  off.RegisterListener([&](const std::vector<mq::MessageExt>& msgs) {
    consumed += static_cast<int>(msgs.size());
    return mq::ConsumeResult::kSuccess;
  });
  REQUIRE(off.Start().ok());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(consumed.load() == 0);
  off.Shutdown();
  producer.Shutdown();

  auto bad_group = Mq(h, "admin updateSubGroup" + ns + " -b " + c.broker_addr + " -g 'bad group'");
  CHECK(bad_group.rc != 0);
  CHECK(bad_group.out.find("bad group name") != std::string::npos);
}
