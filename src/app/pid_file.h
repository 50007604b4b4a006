// Pid files for `mq shutdown`: written once the role is serving, removed on clean exit. Shutdown
// checks that the recorded pid is still an `mq` process before signalling it, so a stale file
// never hits an unrelated process.
#pragma once
#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace mq::app {

Status WritePidFile(const std::string& path);
void RemovePidFile(const std::string& path);
Result<pid_t> ReadPidFile(const std::string& path);
// True when /proc/<pid>/cmdline is an mq binary running `role`.
bool IsMqProcess(pid_t pid, const std::string& role);

}  // namespace mq::app
