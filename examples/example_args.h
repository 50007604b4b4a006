// The command line every example shares, parsed by hand so the examples read like application code:
//   -n host:port   name server (default: $NAMESRV_ADDR, else 127.0.0.1:9876)
//   -t topic       (default TopicTest)
//   -g group       producer or consumer group (each example has its own default)
//   -c count       messages to send, or to receive before exiting (default 10)
//   -w seconds     consumers: give up after this long, exit code 1 (default 30)
// plus the boolean flags an example accepts (e.g. --from-first). Bad input prints usage, exits 2.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

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
