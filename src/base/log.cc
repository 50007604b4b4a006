#include "base/log.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace mq {

std::string DefaultLogDir() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/logs/rocketmqlogs";
}

namespace {
std::atomic<bool> g_initialized{false};
std::mutex g_init_mu;

std::string InitLoggingLocked(const LogOptions& options) {
  g_initialized = true;
  std::vector<spdlog::sink_ptr> sinks;
  std::string path;
  const std::string dir = options.dir.empty() ? DefaultLogDir() : options.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  try {
    path = dir + "/" + options.name + ".log";
    constexpr size_t kMaxFileBytes = 128u << 20;
    constexpr size_t kMaxFiles = 10;
    auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, kMaxFileBytes, kMaxFiles);
    file->set_level(options.level);
    sinks.push_back(file);
  } catch (const spdlog::spdlog_ex& e) {  // third-party edge: convert and go on without a file
    path.clear();
  }
  if (options.to_stderr || sinks.empty()) {
    auto err = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    err->set_level(options.stderr_level);
    sinks.push_back(err);
  }
  auto logger = std::make_shared<spdlog::logger>(options.name, sinks.begin(), sinks.end());
  logger->set_level(options.level);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%t] %v");
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return path;
}

}  // namespace

std::string InitLogging(const LogOptions& options) {
  std::lock_guard<std::mutex> lock(g_init_mu);
  return InitLoggingLocked(options);
}

void EnsureLogging(const LogOptions& options) {
  if (g_initialized) return;
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (!g_initialized) (void)InitLoggingLocked(options);
}

}  // namespace mq
