#include "broker/metadata/json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/log.h"
#include "remoting/fastjson.h"

namespace mq::broker {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::SystemError(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view text, const std::string& path) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status WriteFileSynced(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", path);
  Status s = WriteAll(fd, text, path);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("cannot fsync", path);
  ::close(fd);
  return s;
}

// nullopt when missing, unreadable or over the size bound.
std::optional<std::string> ReadBounded(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < 0 || static_cast<uint64_t>(st.st_size) > kMaxJsonFileBytes) {
    ::close(fd);
    if (st.st_size > 0) MQ_LOG_WARN("{} is larger than {} bytes, ignored", path, kMaxJsonFileBytes);
    return std::nullopt;
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

bool IsJsonObject(std::string_view text) {
  rapidjson::Document doc;
  return remoting::ParseFastjson(text, doc).ok() && doc.IsObject();
}

}  // namespace

Status PersistJsonFile(const std::string& path, std::string_view text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  const std::string tmp = path + ".tmp";
  if (Status s = WriteFileSynced(tmp, text); !s.ok()) return s;
  if (fs::exists(path, ec)) {
    fs::copy_file(path, path + ".bak", fs::copy_options::overwrite_existing, ec);
    if (ec) MQ_LOG_WARN("cannot back up {}: {}", path, ec.message());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename " + tmp + " to", path);
  // The rename is durable only once the directory entry is.
  int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

std::optional<std::string> LoadJsonFile(const std::string& path) {
  for (const std::string& candidate : {path, path + ".bak"}) {
    auto text = ReadBounded(candidate);
    if (!text || text->empty()) continue;
    if (!IsJsonObject(*text)) {
      MQ_LOG_WARN("{} is not a JSON object, trying the backup", candidate);
      continue;
    }
    if (candidate != path) MQ_LOG_WARN("loaded {} from its backup", path);
    return text;
  }
  return std::nullopt;
}

std::string TopicsJsonPath(const std::string& store_root) { return store_root + "/config/topics.json"; }
std::string SubscriptionGroupJsonPath(const std::string& store_root) {
  return store_root + "/config/subscriptionGroup.json";
}
std::string ConsumerOffsetJsonPath(const std::string& store_root) {
  return store_root + "/config/consumerOffset.json";
}

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void WriteDataVersion(JsonWriter& w, const DataVersion& v) {
  w.StartObject();
  w.Key("counter");
  w.Int64(v.counter);
  w.Key("timestamp");
  w.Int64(v.timestamp_ms);
  w.EndObject();
}

std::string EncodeDataVersion(const DataVersion& v) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  WriteDataVersion(w, v);
  return std::string(sb.GetString(), sb.GetSize());
}

Result<DataVersion> ReadDataVersion(const rapidjson::Value& v) {
  if (!v.IsObject()) return Status::SystemError("dataVersion is not an object");
  auto counter = remoting::GetInt64Member(v, "counter", 0);
  if (!counter.ok()) return counter.status();
  auto ts = remoting::GetInt64Member(v, "timestamp", 0);
  if (!ts.ok()) return ts.status();
  return DataVersion{*counter, *ts};
}

}  // namespace mq::broker
