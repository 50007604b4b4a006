#include "support/mq_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mq::testing {

std::string MqBinary() {
  const char* bin = std::getenv("MQ_BIN");
  return bin ? bin : "mq";
}

std::string FixturesDir() {
  const char* dir = std::getenv("MQ_FIXTURES");
  return dir ? dir : "../shared/fixtures";
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mq-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

MqProcess::MqProcess(const std::vector<std::string>& args, const std::string& home, int timeout_ms) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);

  std::vector<std::string> argv_storage;
  argv_storage.push_back(MqBinary());
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "HOME=", 5) != 0) env_storage.emplace_back(*e);
  }
  env_storage.push_back("HOME=" + home);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  stdout_fd_ = pipefd[0];
  if (rc != 0) {
    pid_ = -1;
    return;
  }
  // Read until the boot line names the port, bounded by timeout_ms.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string out;
  static const std::regex kPort(R"(listening on [^ ]*:(\d+))");
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) break;  // exited before booting
    out.append(buf, static_cast<size_t>(n));
    std::smatch m;
    if (std::regex_search(out, m, kPort)) {
      port_ = static_cast<uint16_t>(std::stoi(m[1]));
      boot_line_ = out.substr(0, out.find('\n'));
      return;
    }
  }
}

MqProcess::~MqProcess() {
  if (pid_ > 0) Terminate(5000);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

int MqProcess::Terminate(int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return -1;
}

void MqProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace mq::testing
