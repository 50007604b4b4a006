// Integration-test helpers: start a real `mq` process on 127.0.0.1 with an ephemeral port and a
// temporary HOME (logs, kvConfig, pid file land there), read the port from its boot line, and
// stop it (SIGTERM, then SIGKILL) when the fixture goes away. Everything is bounded in time.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mq::testing {

// A fresh directory under $TMPDIR, removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class MqProcess {
 public:
  // Starts `mq <args>` with HOME=home and waits (up to timeout_ms) for its boot line.
  MqProcess(const std::vector<std::string>& args, const std::string& home, int timeout_ms = 10000);
  ~MqProcess();
  MqProcess(const MqProcess&) = delete;
  MqProcess& operator=(const MqProcess&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  const std::string& boot_line() const { return boot_line_; }
  // Sends SIGTERM and waits for exit; returns the exit status (or -1 on timeout, then SIGKILL).
  int Terminate(int timeout_ms = 10000);
  void Kill();  // SIGKILL, reaped

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  uint16_t port_ = 0;
  std::string boot_line_;
};

// Path of the mq binary under test (env MQ_BIN, set by meson).
std::string MqBinary();
// Path of the shared fixtures (env MQ_FIXTURES).
std::string FixturesDir();

}  // namespace mq::testing
