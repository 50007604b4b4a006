#include "tools/cli/commands.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "base/log.h"
#include "mq/message.h"

namespace mq::tools {

void RegisterClientCommands(CLI::App& app) {
  cli::AddProduceCommand(app);
  cli::AddConsumeCommand(app);
  cli::AddAdminCommand(app);
}

namespace cli {

std::string DefaultNamesrv() {
  const char* env = std::getenv("NAMESRV_ADDR");
  return (env != nullptr && *env != '\0') ? std::string(env) : std::string("127.0.0.1:9876");
}

std::string JsonString(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string FormatTimeMs(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ",%03d", static_cast<int>(ms % 1000));
  return buf;
}

void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : std::string();
      out += cell;
      if (i + 1 < width.size()) out += std::string(width[i] - cell.size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& row : rows) line(row);
}

std::string MessageJson(const MessageExt& m) {
  std::string props;
  for (const auto& [k, v] : m.all_properties) {
    if (!props.empty()) props += ",";
    props += JsonString(k) + ":" + JsonString(v);
  }
  return "{\"topic\":" + JsonString(m.topic) + ",\"brokerName\":" + JsonString(m.queue.broker_name) +
         ",\"queueId\":" + std::to_string(m.queue.queue_id) + ",\"queueOffset\":" + std::to_string(m.queue_offset) +
         ",\"commitLogOffset\":" + std::to_string(m.commit_log_offset) + ",\"msgId\":" + JsonString(m.msg_id) +
         ",\"offsetMsgId\":" + JsonString(m.offset_msg_id) + ",\"tags\":" + JsonString(m.tags) +
         ",\"keys\":" + JsonString(m.keys) + ",\"bornTimestamp\":" + std::to_string(m.born_timestamp_ms) +
         ",\"storeTimestamp\":" + std::to_string(m.store_timestamp_ms) + ",\"bornHost\":" + JsonString(m.born_host) +
         ",\"storeHost\":" + JsonString(m.store_host) + ",\"reconsumeTimes\":" + std::to_string(m.reconsume_times) +
         ",\"sysFlag\":" + std::to_string(m.sys_flag) + ",\"properties\":{" + props + "},\"body\":" +
         JsonString(m.body) + "}";
}

void InitToolLogging() {
  LogOptions options;
  options.name = "mq_tools";
  options.stderr_level = spdlog::level::warn;
  (void)InitLogging(options);
}

void Exit(int rc) {
  std::fflush(stdout);
  throw CLI::RuntimeError(rc);
}

}  // namespace cli
}  // namespace mq::tools
