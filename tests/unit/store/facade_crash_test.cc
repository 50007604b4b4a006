// Crash test of the whole store: a child (facade_crash_writer) puts SYNC_FLUSH messages with keys
// into 6 queues from 2 shards while the parent SIGKILLs it at random moments. After every round the
// parent recovers the store in-process and checks: every acknowledged message is there, intact, at
// its queue offset; every queue's offsets are contiguous from min to max; the index finds every
// acknowledged key.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include "base/properties.h"
#include "model/properties.h"
#include "runtime/shard_set.h"
#include "store/message_store.h"
#include "support/mq_process.h"
#include "support/shard_helpers.h"

using namespace mq;
using mq::testing::RunOn;

namespace {

struct Acked {
  int queue;
  int64_t offset;
  std::string key;
};

// Runs the writer for run_ms, SIGKILLs it, returns the acknowledged lines.
std::vector<Acked> RunWriterAndKill(const std::string& root, int round, int run_ms) {
  const char* writer = std::getenv("MQ_FACADE_CRASH_WRITER");
  REQUIRE(writer != nullptr);
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  std::string round_text = std::to_string(round);
  std::string root_copy = root;
  char* argv[] = {const_cast<char*>(writer), root_copy.data(), round_text.data(), nullptr};
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, writer, &actions, nullptr, argv, environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string out;
  const auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
  bool killed = false;
  for (;;) {
    if (!killed && std::chrono::steady_clock::now() >= kill_at) {
      kill(pid, SIGKILL);
      killed = true;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    if (poll(&pfd, 1, 10) <= 0) continue;
    char buf[65536];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;  // the child is gone and the pipe drained
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  std::vector<Acked> acked;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    Acked a;
    if (f >> a.queue >> a.offset >> a.key) acked.push_back(a);  // a torn last line is not an ack
  }
  return acked;
}

}  // namespace

TEST_CASE("SIGKILL at random moments loses no acknowledged SYNC_FLUSH message (whole store)") {
  testing::TempDir dir;
  Properties props;
  props.Set("storePathRootDir", dir.path());
  props.Set("mappedFileSizeCommitLog", "65536");
  props.Set("mappedFileSizeConsumeQueue", "400");
  props.Set("maxHashSlotNum", "1000");
  props.Set("maxIndexNum", "4000");
  auto config = store::MessageStoreConfig::FromProperties(props);
  REQUIRE(config.ok());
  std::mt19937 rng(12345);
  std::vector<Acked> all;
  const int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    auto acked = RunWriterAndKill(dir.path(), round, 150 + static_cast<int>(rng() % 250));
    all.insert(all.end(), acked.begin(), acked.end());
    runtime::RuntimeOptions options;
    options.shard_count = 2;
    auto shards = runtime::ShardSet::Start(options);
    REQUIRE(shards.ok());
    auto opened = store::MessageStore::Open(*config, 2);
    REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.status().ToString()));
    store::MessageStore& st = **opened;
    REQUIRE(st.Start(**shards).ok());
    std::map<int, std::map<int64_t, std::string>> seen;  // queue -> offset -> key
    for (int queue = 0; queue < 6; ++queue) {
      RunOn(**shards, st.ShardOf("crash", queue), [&] {
        const int64_t min = st.MinOffset("crash", queue);
        const int64_t max = st.MaxOffset("crash", queue);
        for (int64_t off = min; off < max;) {
          store::GetResult g = st.Get("crash", queue, off, 32, nullptr);
          REQUIRE(g.status == store::GetStatus::kFound);
          for (const auto& m : g.messages) {
            auto view = model::RecordView::Parse(m.data, m.size_bytes, /*check_crc=*/true);
            REQUIRE(view.ok());                     // never a torn record
            CHECK(view->queue_offset() == off);     // contiguous offsets
            seen[queue][off] = std::string(model::FindProperty(view->properties(), model::kKeys).value_or(""));
            ++off;
          }
        }
      });
    }
    INFO("round ", round);
    for (const Acked& a : all) {
      auto q = seen.find(a.queue);
      REQUIRE(q != seen.end());
      auto at = q->second.find(a.offset);
      REQUIRE_MESSAGE(at != q->second.end(), "acknowledged ", a.key, " missing");
      CHECK(at->second == a.key);
    }
    // The index finds every acknowledged key of this round (sampled to keep the test fast).
    for (size_t i = 0; i < acked.size(); i += std::max<size_t>(1, acked.size() / 40)) {
      std::vector<store::Slice> hits;
      RunOn(**shards, 0, [&] { hits = st.QueryByKey("crash", acked[i].key, 4, 0, INT64_MAX); });
      CHECK_MESSAGE(hits.size() == 1, "key ", acked[i].key);
    }
    (*shards)->RequestStop();
    (*shards)->Join();
    st.Shutdown();
  }
  CHECK(all.size() > 100);
  MESSAGE("crash rounds: ", kRounds, ", acknowledged messages checked: ", all.size());
}
