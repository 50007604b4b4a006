// Child process of the crash test (crash_test.cc): opens the commit log in argv[1] (segment size
// argv[2], round argv[3]), recovers it, and appends SYNC_FLUSH records from two threads until it is
// SIGKILLed. Each acknowledged record is reported as one line "phys size body\n" on stdout, written
// with one write() (< PIPE_BUF, so lines from the two threads never interleave) only after the
// group commit confirmed it durable.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "store/commit_log.h"
#include "store/flush_service.h"
#include "store_test_util.h"

using namespace mq::store;

// The body for (round, thread, seq); the parent regenerates it to check content.
std::string CrashBody(long round, int thread, long seq) {
  std::string b = "r" + std::to_string(round) + "-t" + std::to_string(thread) + "-s" + std::to_string(seq) + "-";
  b.append(static_cast<size_t>((seq * 37) % 700), static_cast<char>('a' + seq % 26));
  return b;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR SEGMENT_BYTES ROUND\n", argv[0]);
    return 2;
  }
  const long round = std::atol(argv[3]);
  FlushService* flush_ptr = nullptr;
  CommitLogOptions o;
  o.dir = argv[1];
  o.segment_size_bytes = std::strtoull(argv[2], nullptr, 10);
  o.want_next_segment = [&flush_ptr] {
    if (flush_ptr != nullptr) flush_ptr->WakePreparer();
  };
  auto log = CommitLog::Open(o);
  if (!log.ok()) {
    std::fprintf(stderr, "open: %s\n", log.status().ToString().c_str());
    return 1;
  }
  auto end = log.value()->Recover(RecoveryMode::kAbnormal, 0, nullptr);
  if (!end.ok()) return 1;
  FlushOptions fo;
  fo.mode = FlushMode::kSync;
  FlushService flush(*log.value(), fo);
  flush_ptr = &flush;
  if (!flush.Start().ok()) return 1;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (long seq = 0;; ++seq) {
        const std::string rec = mq::store::testing::EncodeTestRecord(CrashBody(round, t, seq), t, seq);
        auto r = log.value()->Append(mq::store::testing::Bytes(rec), rec.size(), 1700000000000 + seq);
        if (!r.ok()) std::abort();
        if (!flush.WaitFlushedBlocking(r->end_offset, 5000).ok()) continue;  // not acknowledged
        const std::string line = std::to_string(r->phys_offset) + " " + std::to_string(rec.size()) + " " +
                                 CrashBody(round, t, seq).substr(0, 40) + "\n";
        if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::abort();
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
