// The command line every example shares, parsed by hand so the examples read like application code:
//   -n host:port   name server (default: $NAMESRV_ADDR, else 127.0.0.1:9876)
//   -t topic       (default TopicTest)
//   -g group       producer or consumer group (each example has its own default)
//   -c count       messages to send, or to receive before exiting (default 10)
//   -w seconds     consumers: give up after this long, exit code 1 (default 30)
// plus the boolean flags an example accepts (e.g. --from-first). Bad input prints usage, exits 2.
// Received: what the consumer examples print per message and how they wait for -c messages.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mq/message.h"

struct ExampleArgs {
  std::string namesrv = std::getenv("NAMESRV_ADDR") ? std::getenv("NAMESRV_ADDR") : "127.0.0.1:9876";
  std::string topic = "TopicTest";
  std::string group;
  int count = 10;
  int wait_s = 30;
  std::set<std::string> flags;
  bool Has(const std::string& flag) const { return flags.count(flag) != 0; }
};

inline ExampleArgs ParseArgs(int argc, char** argv, const std::string& default_group,
                             const std::set<std::string>& known_flags = {}) {
  ExampleArgs a;
  a.group = default_group;
  auto usage = [&] {
    std::fprintf(stderr, "usage: %s [-n host:port] [-t topic] [-g group] [-c count] [-w seconds]", argv[0]);
    for (const auto& f : known_flags) std::fprintf(stderr, " [%s]", f.c_str());
    std::fprintf(stderr, "\n");
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    if (known_flags.count(opt)) {
      a.flags.insert(opt);
      continue;
    }
    if (i + 1 >= argc || opt.size() != 2 || opt[0] != '-') usage();
    const std::string value = argv[++i];
    switch (opt[1]) {
      case 'n': a.namesrv = value; break;
      case 't': a.topic = value; break;
      case 'g': a.group = value; break;
      case 'c': a.count = std::atoi(value.c_str()); break;
      case 'w': a.wait_s = std::atoi(value.c_str()); break;
      default: usage();
    }
  }
  if (a.count <= 0 || a.wait_s <= 0) usage();
  return a;
}

// Prints and counts messages as a listener receives them (any thread); main waits for enough.
class Received {
 public:
  void Add(const std::vector<mq::MessageExt>& msgs) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& m : msgs) {
      std::printf("received msgId=%s queue=%s offset=%lld body=%s\n", m.msg_id.c_str(), m.queue.ToString().c_str(),
                  static_cast<long long>(m.queue_offset), m.body.c_str());
      ++count_;
    }
    changed_.notify_one();
  }
  // True when `args.count` messages arrived within `args.wait_s` seconds.
  bool Wait(const ExampleArgs& args) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(args.wait_s), [&] { return count_ >= args.count; });
  }
  // The summary line and the exit code.
  int Report(const ExampleArgs& args) {
    std::lock_guard<std::mutex> lock(mu_);
    if (count_ < args.count) {
      std::fprintf(stderr, "timed out after %d s: received %d of %d\n", args.wait_s, count_, args.count);
      return 1;
    }
    std::printf("received %d\n", count_);
    return 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int count_ = 0;
};
