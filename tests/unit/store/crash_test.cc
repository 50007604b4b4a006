// Crash test: a child (store_crash_writer) appends SYNC_FLUSH records and reports each acknowledged
// one; the parent SIGKILLs it at a random moment, recovers the commit log and checks that every
// acknowledged record is present and intact and that no torn record is visible. 24 rounds on one
// store directory, each child continuing where the previous one was killed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "store/commit_log.h"
#include "store_test_util.h"

namespace mq::store {
namespace {

std::string CrashBody(long round, int thread, long seq) {  // same as crash_writer.cc
  std::string b = "r" + std::to_string(round) + "-t" + std::to_string(thread) + "-s" + std::to_string(seq) + "-";
  b.append(static_cast<size_t>((seq * 37) % 700), static_cast<char>('a' + seq % 26));
  return b;
}

struct Ack {
  int64_t size;
  std::string body_prefix;
};

// Runs one child for about run_ms, SIGKILLs it, returns the acknowledged records it reported.
std::map<int64_t, Ack> RunAndKill(const std::string& exe, const std::string& dir, uint64_t seg, long round,
                                  int run_ms) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], 1);
    const std::string seg_text = std::to_string(seg);
    const std::string round_text = std::to_string(round);
    ::execl(exe.c_str(), exe.c_str(), dir.c_str(), seg_text.c_str(), round_text.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
  char buf[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    struct pollfd pfd {fds[0], POLLIN, 0};
    if (::poll(&pfd, 1, 5) > 0) {
      const ssize_t n = ::read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));  // it was still running: it did not fail on its own
  for (;;) {  // lines written before the kill are still in the pipe
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  std::map<int64_t, Ack> acks;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: cut by the kill mid-line? (cannot happen, one write per line)
    std::istringstream ls(line);
    int64_t phys = 0;
    Ack a;
    ls >> phys >> a.size >> a.body_prefix;
    acks[phys] = a;
  }
  return acks;
}

TEST_CASE("crash test: SIGKILL at random moments never loses an acknowledged record") {
  const char* exe = std::getenv("MQ_STORE_CRASH_WRITER");
  REQUIRE(exe != nullptr);
  testing::TempDir tmp;
  const std::string dir = tmp.sub("commitlog");
  constexpr uint64_t kSeg = 262144;
  std::mt19937 rng(12345);
  std::map<int64_t, Ack> all_acks;
  size_t total_records = 0;
  constexpr int kRounds = 24;
  for (long round = 0; round < kRounds; ++round) {
    const int run_ms = 60 + static_cast<int>(rng() % 240);
    auto acks = RunAndKill(exe, dir, kSeg, round, run_ms);
    all_acks.insert(acks.begin(), acks.end());

    CommitLogOptions o;
    o.dir = dir;
    o.segment_size_bytes = kSeg;
    auto log = CommitLog::Open(o);
    REQUIRE(log.ok());
    std::map<int64_t, std::string> recovered;
    auto end = log.value()->Recover(RecoveryMode::kAbnormal, 0, [&](const ScannedRecord& r) {
      recovered[r.phys_offset] = std::string(r.view.body());
    });
    REQUIRE(end.ok());
    // Every record acknowledged in any round so far is there, at its offset, with its exact body.
    int missing = 0;
    int wrong = 0;
    for (const auto& [phys, ack] : all_acks) {
      auto it = recovered.find(phys);
      if (it == recovered.end()) {
        ++missing;
        continue;
      }
      long r = 0, s = 0;
      int t = 0;
      if (std::sscanf(ack.body_prefix.c_str(), "r%ld-t%d-s%ld-", &r, &t, &s) != 3 || it->second != CrashBody(r, t, s)) {
        ++wrong;
      }
      CHECK(phys + ack.size <= end.value());
    }
    CHECK(missing == 0);
    CHECK(wrong == 0);
    // Nothing torn is visible: a full CRC scan of the recovered log reaches the end cleanly.
    size_t visible = 0;
    ScanResult scan = log.value()->Scan(0, INT64_MAX, true, [&](const ScannedRecord&) {
      ++visible;
      return true;
    });
    CHECK_FALSE(scan.hit_invalid);
    CHECK(scan.end_offset == end.value());
    CHECK(visible == recovered.size());
    total_records = visible;
    MESSAGE("round " << round << ": acked " << acks.size() << ", recovered " << visible << " records, end " << end.value());
  }
  CHECK(all_acks.size() > 100);
  CHECK(total_records >= all_acks.size());
}

}  // namespace
}  // namespace mq::store
