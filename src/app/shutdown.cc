// `mq shutdown <role>`: like RocketMQ's mqshutdown, but aimed by pid file, so it never touches
// other processes; waits for the process to exit.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "app/options.h"
#include "app/pid_file.h"

namespace mq::app {
namespace {

// Exited, or a zombie waiting for its parent to reap it: either way it has stopped serving.
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;
  return state == "Z" || state == "X";
}

}  // namespace

std::string DefaultPidFile(const std::string& role) {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.mq/" + role + ".pid";
}

int RunShutdown(const std::string& role, const std::string& pid_file, uint32_t wait_ms) {
  if (role != "namesrv" && role != "broker" && role != "local") {
    std::fprintf(stderr, "mq shutdown: unknown role '%s' (namesrv, broker or local)\n", role.c_str());
    return 2;
  }
  const std::string path = pid_file.empty() ? DefaultPidFile(role) : pid_file;
  auto pid = ReadPidFile(path);
  if (!pid.ok()) {
    std::fprintf(stderr, "mq shutdown: %s\n", pid.status().remark().c_str());
    return 1;
  }
  if (!IsMqProcess(*pid, role)) {
    std::fprintf(stderr, "mq shutdown: pid %d from %s is not a running mq %s; removing the stale pid file\n",
                 static_cast<int>(*pid), path.c_str(), role.c_str());
    std::remove(path.c_str());
    return 1;
  }
  if (kill(*pid, SIGTERM) != 0) {
    std::perror("mq shutdown: kill");
    return 1;
  }
  std::printf("send shutdown request to mq %s (pid %d) OK\n", role.c_str(), static_cast<int>(*pid));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ProcessGone(*pid)) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "mq shutdown: pid %d still running after %u ms\n", static_cast<int>(*pid), wait_ms);
  return 1;
}

}  // namespace mq::app
