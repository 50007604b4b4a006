// The programs in examples/ as a newcomer runs them: child processes (bounded by `timeout`, HOME in
// the cluster's temporary directory) against a real name server and broker. Producers must report
// `sent N` and exit 0; consumers with a fresh group must receive exactly what was produced and
// report `received N`; an orderly consumer must see each order's steps in sequence. The binaries'
// paths come from MQ_EXAMPLE_<NAME> (set by meson).
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mq/admin.h"
#include "support/client_cluster.h"

using mq::testing::Cluster;
using mq::testing::CreateTopic;

namespace {

struct Run {
  int rc = -1;
  std::string out;  // stdout and stderr
};

std::string ExamplePath(const std::string& name) {
  std::string var = "MQ_EXAMPLE_";
  for (char ch : name) var += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const char* path = std::getenv(var.c_str());
  REQUIRE_MESSAGE(path != nullptr, var << " is not set (run through meson test)");
  return path;
}

struct Job {
  std::string name;  // examples/<name>
  std::string args;  // after `-n <name server>`
};

// Runs every job at once through the shell (HOME=the cluster's home, each bounded by `timeout`),
// waits for all and logs their output. The examples are separate processes, so running them side
// by side is what users do too; it keeps the test short.
std::vector<Run> RunAll(const Cluster& c, const std::vector<Job>& jobs, int limit_s = 25) {
  std::vector<std::string> cmds;
  for (const auto& j : jobs) {
    cmds.push_back("HOME='" + c.home.path() + "' timeout -k 5 " + std::to_string(limit_s) + " '" +
                   ExamplePath(j.name) + "' -n " + c.ns_addr + " " + j.args + " 2>&1 </dev/null");
  }
  std::vector<Run> runs(jobs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i) {
    threads.emplace_back([&, i] {
      FILE* f = popen(cmds[i].c_str(), "r");
      if (f == nullptr) return;
      std::array<char, 4096> buf;
      size_t n;
      while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) runs[i].out.append(buf.data(), n);
      const int status = pclose(f);
      runs[i].rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < jobs.size(); ++i) {
    MESSAGE(jobs[i].name << " " << jobs[i].args << " -> rc " << runs[i].rc << "\n" << runs[i].out);
  }
  return runs;
}

std::vector<std::string> Lines(const std::string& s, const std::string& prefix) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find('\n', pos);
    if (end == std::string::npos) end = s.size();
    if (s.compare(pos, prefix.size(), prefix) == 0) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The body= field (last on the line) of every line starting with `prefix`, in output order.
std::vector<std::string> Bodies(const std::string& out, const std::string& prefix) {
  std::vector<std::string> bodies;
  for (const auto& line : Lines(out, prefix)) {
    const size_t at = line.find(" body=");
    if (at != std::string::npos) bodies.push_back(line.substr(at + 6));
  }
  return bodies;
}

bool Has(const std::string& out, const std::string& text) { return out.find(text) != std::string::npos; }

// What a consumer must have printed: exactly `sent` (as a set; no duplicates) and the summary.
void CheckReceivedExactly(const Run& consumer, const std::vector<std::string>& sent) {
  CHECK(consumer.rc == 0);
  const auto got = Bodies(consumer.out, "received msgId=");
  CHECK(got.size() == sent.size());
  CHECK(std::multiset<std::string>(got.begin(), got.end()) == std::multiset<std::string>(sent.begin(), sent.end()));
  CHECK(Has(consumer.out, "received " + std::to_string(sent.size()) + "\n"));
}

}  // namespace

TEST_CASE("examples: every producer sends, every consumer receives what was sent") {
  Cluster c;
  const int n = 8;
  for (const char* t : {"ExSync", "ExAsync", "ExOneway", "ExBatch", "ExOrdered"}) CreateTopic(c, t, 4);

  // Producers, side by side: each reports `sent N` and exits 0.
  const std::vector<Job> producers = {{"sync_producer", "-t ExSync -c " + std::to_string(n)},
                                      {"async_producer", "-t ExAsync -c " + std::to_string(n)},
                                      {"oneway_producer", "-t ExOneway -c " + std::to_string(n)},
                                      {"batch_producer", "-t ExBatch -c " + std::to_string(n)},
                                      {"ordered_producer", "-t ExOrdered -c " + std::to_string(n)}};
  const std::vector<Run> sent = RunAll(c, producers);
  for (size_t i = 0; i < producers.size(); ++i) {
    INFO(producers[i].name);
    CHECK(sent[i].rc == 0);
    CHECK(Has(sent[i].out, "sent " + std::to_string(n) + "\n"));
    const std::string per_message = producers[i].name == "oneway_producer" ? "ONEWAY body=" : "SEND_OK msgId=";
    CHECK(Lines(sent[i].out, per_message).size() == static_cast<size_t>(n));
  }
  std::vector<std::string> hello;
  for (int i = 0; i < n; ++i) hello.push_back("Hello mq " + std::to_string(i));
  CHECK(Bodies(sent[0].out, "SEND_OK") == hello);
  CHECK(Bodies(sent[3].out, "SEND_OK") == hello);

  // Ordered producer: one order id -> one queue.
  const std::vector<std::string> ordered = Bodies(sent[4].out, "SEND_OK");
  std::map<std::string, std::set<std::string>> queues_of_order;
  for (const auto& line : Lines(sent[4].out, "SEND_OK")) {
    const size_t q = line.find(" queue="), b = line.find(" body=");
    REQUIRE((q != std::string::npos && b != std::string::npos));
    const std::string order = line.substr(b + 6, line.find(' ', b + 6) - (b + 6));
    queues_of_order[order].insert(line.substr(q + 7, line.find(' ', q + 7) - (q + 7)));
  }
  CHECK(queues_of_order.size() == 4);
  for (const auto& [order, queues] : queues_of_order) CHECK_MESSAGE(queues.size() == 1, order);

  // Consumers, side by side, each with a fresh group. Clustering groups start at offset 0 on these
  // young queues without --from-first (the broker's answer for a group with no committed offset);
  // broadcasting keeps offsets locally and would start at the end, hence --from-first.
  const std::string c_arg = " -c " + std::to_string(n) + " -w 15";
  const std::vector<Run> got = RunAll(
      c, {{"push_consumer", "-t ExSync -g ex_push" + c_arg},
          {"broadcast_consumer", "-t ExAsync -g ex_bcast --from-first" + c_arg},
          {"pull_consumer", "-t ExOneway -g ex_pull_sub" + c_arg},
          {"pull_consumer", "-t ExBatch -g ex_pull_assign --assign" + c_arg},
          {"orderly_consumer", "-t ExOrdered -g ex_orderly" + c_arg},
          {"push_consumer", "-t ExSync -g ex_short -c " + std::to_string(n + 1) + " -w 3"}});
  CheckReceivedExactly(got[0], hello);
  CheckReceivedExactly(got[1], hello);
  CheckReceivedExactly(got[2], hello);
  CheckReceivedExactly(got[3], hello);
  CheckReceivedExactly(got[4], ordered);

  // Orderly: each order's steps arrive in sequence (0, 1, 2, ...).
  std::map<std::string, int> next_seq;  // "order-K" -> the step expected next
  for (const auto& body : Bodies(got[4].out, "received msgId=")) {
    const size_t sp = body.find(" seq=");
    REQUIRE(sp != std::string::npos);
    const std::string order = body.substr(0, sp);
    const int seq = std::atoi(body.c_str() + sp + 5);
    CHECK_MESSAGE(seq == next_seq[order], body);
    next_seq[order] = seq + 1;
  }

  // Asked for more than there is: a clear message and exit code 1 after -w seconds.
  CHECK(got[5].rc == 1);
  CHECK(Has(got[5].out, "timed out after 3 s: received " + std::to_string(n) + " of " + std::to_string(n + 1)));
}

TEST_CASE("examples: the README's path, a topic the broker creates on first send") {
  Cluster c;  // autoCreateTopicEnable=true, as in the local default
  const std::vector<Run> produced = RunAll(c, {{"sync_producer", "-t ExAutoCreated -c 3"}});
  CHECK(produced[0].rc == 0);
  CHECK(Has(produced[0].out, "sent 3\n"));
  // Right after creating the topic the broker registers it with the name server (oneway); wait for
  // the route as a person typing the next command does, so the consumer's Start() finds it.
  mq::Admin admin({c.ns_addr, 5000});
  REQUIRE(admin.Start().ok());
  CHECK(mq::testing::WaitFor([&] { return admin.TopicRoute("ExAutoCreated").ok(); }, std::chrono::seconds(10)));
  const std::vector<Run> consumed = RunAll(c, {{"push_consumer", "-t ExAutoCreated -c 3 -w 15"}});
  CheckReceivedExactly(consumed[0], {"Hello mq 0", "Hello mq 1", "Hello mq 2"});
}
