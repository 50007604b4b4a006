#include "app/pid_file.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace mq::app {

Status WritePidFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << getpid() << "\n";
  out.flush();
  if (!out) return Status::SystemError("cannot write pid file " + path);
  return Status::Ok();
}

void RemovePidFile(const std::string& path) {
  auto pid = ReadPidFile(path);
  if (pid.ok() && *pid == getpid()) std::remove(path.c_str());
}

Result<pid_t> ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::SystemError("no pid file at " + path + " (is it running?)");
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return Status::SystemError("pid file " + path + " holds no valid pid");
  return static_cast<pid_t>(pid);
}

bool IsMqProcess(pid_t pid, const std::string& role) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string cmdline = ss.str();
  std::string exe;
  std::vector<std::string> args;
  size_t start = 0;
  while (start < cmdline.size()) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    args.push_back(cmdline.substr(start, end - start));
    start = end + 1;
  }
  if (args.empty()) return false;
  if (std::filesystem::path(args[0]).filename() != "mq") return false;
  bool local_mode = true;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--role=" + role || (args[i] == "--role" && i + 1 < args.size() && args[i + 1] == role)) return true;
    if (args[i].rfind("--role", 0) == 0) local_mode = false;
  }
  return local_mode;  // the local default runs every role
}

}  // namespace mq::app
