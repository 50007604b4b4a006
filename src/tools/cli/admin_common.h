// What every `mq admin` command shares: its parsed flags, the Admin session around its body, the
// error line, and the common -n / --json / --timeout-ms flags. admin.cc defines them; admin.cc
// and admin_broker.cc register commands with them.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mq/admin.h"
#include "tools/cli/commands.h"

namespace CLI {
class App;
}

namespace mq::tools::cli {

struct AdminArgs {
  std::string namesrv = DefaultNamesrv();
  bool json = false;
  uint64_t timeout_ms = 5000;
  std::string topic;
  std::string broker_addr;
  std::string cluster;
  std::string key;
  std::string msg_id;
  std::string broker_name;
  std::string group;
  std::string timestamp;
  int32_t queue_id = 0;
  int64_t offset = 0;
  int32_t read_queues = 8;
  int32_t write_queues = 8;
  int32_t perm = 6;
  bool order = false;
  SubscriptionGroupOptions sub;  // updateSubGroup
};

using AdminBody = std::function<int(Admin&, const AdminArgs&)>;

// The remark alone for plain failures (code 1), else "CODE: remark".
std::string ErrorText(const Outcome& o);
// Prints "error: ..." to stderr; returns the exit code 1.
int Fail(const Outcome& o);
// Starts an Admin on a.namesrv, runs body, shuts down; body's return value is the exit code.
int RunWithAdmin(const AdminArgs& a, const AdminBody& body);
// A subcommand of `mq admin` with -n, --json and --timeout-ms; the caller adds its own flags.
CLI::App* AddCommand(CLI::App& admin, const std::shared_ptr<AdminArgs>& args, const std::string& name,
                     const std::string& help, AdminBody body);

// brokerStatus, updateSubGroup (admin_broker.cc).
void AddAdminBrokerCommands(CLI::App& admin);

}  // namespace mq::tools::cli
