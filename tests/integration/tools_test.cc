// `mq produce`, `mq consume` and `mq admin` as child processes against real `mq` processes (a name
// server and a broker on ephemeral ports, temporary HOME). Every command runs under `timeout`.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/cluster.h"

using mq::testing::Cluster;

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
