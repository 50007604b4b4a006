// RocketMQ ConfigManager persistence for the broker's config/*.json files (spec 6.1), and the
// DataVersion every metadata table carries. Blocking file I/O: called by the table's owner (shard 0
// for topics and groups) on rare changes, at start-up and at shutdown.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/status.h"

namespace mq::broker {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A config file larger than this is treated as unreadable (bounds what Load allocates).
constexpr size_t kMaxJsonFileBytes = 256u << 20;

// Writes `<path>.tmp` (fsynced), copies the current `<path>` to `<path>.bak`, renames the tmp
// file over `<path>` and fsyncs the directory. Creates the parent directory when missing.
Status PersistJsonFile(const std::string& path, std::string_view text);

// The text of `<path>`, or of `<path>.bak` when `<path>` is missing, empty, too large or not a
// fastjson-dialect JSON object. nullopt when neither is usable (a fresh store).
std::optional<std::string> LoadJsonFile(const std::string& path);

// Paths under storePathRootDir.
std::string TopicsJsonPath(const std::string& store_root);             // config/topics.json
std::string SubscriptionGroupJsonPath(const std::string& store_root);  // config/subscriptionGroup.json
std::string ConsumerOffsetJsonPath(const std::string& store_root);     // config/consumerOffset.json

int64_t WallClockMs();

// {"counter":<long>,"timestamp":<ms>}; equal iff both members are equal (spec 2.3).
struct DataVersion {
  int64_t counter = 0;
  int64_t timestamp_ms = 0;
  void Next(int64_t now_ms) {
    timestamp_ms = now_ms;
    ++counter;
  }
  bool operator==(const DataVersion&) const = default;
};

void WriteDataVersion(JsonWriter& w, const DataVersion& v);
std::string EncodeDataVersion(const DataVersion& v);
// Lenient: absent members read as 0; a non-object is an error.
Result<DataVersion> ReadDataVersion(const rapidjson::Value& v);

inline void WriteKey(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}
inline void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace mq::broker
