// A name server and a broker as real `mq` child processes on 127.0.0.1 with ephemeral ports and a
// temporary HOME (store, logs, pid files, offsets all live under it and go away with it).
// Construction REQUIREs both boot lines; destruction stops both. WaitFor polls a predicate, bounded.
#pragma once
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/mq_process.h"

namespace mq::testing {

struct Cluster {
  TempDir home;
  std::unique_ptr<MqProcess> namesrv;
  std::unique_ptr<MqProcess> broker;
  std::string ns_addr;
  std::string broker_addr;

  // extra_broker_args: e.g. {"flushDiskType=SYNC_FLUSH"}.
  explicit Cluster(const std::vector<std::string>& extra_broker_args = {}) {
    namesrv = std::make_unique<MqProcess>(std::vector<std::string>{"--role=namesrv", "-p", "0", "--bind", "127.0.0.1",
                                                                   "--smp", "1", "--pid-file",
                                                                   home.path() + "/ns.pid"},
                                          home.path());
    REQUIRE(namesrv->started());
    ns_addr = namesrv->address();
    std::vector<std::string> args{"--role=broker", "-p",     "0",   "--bind",     "127.0.0.1",
                                  "--smp",         "2",      "-n",  ns_addr,      "--pid-file",
                                  home.path() + "/broker.pid"};
    args.insert(args.end(), extra_broker_args.begin(), extra_broker_args.end());
    broker = std::make_unique<MqProcess>(args, home.path(), 20000);
    REQUIRE(broker->started());
    broker_addr = broker->address();
  }
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace mq::testing
