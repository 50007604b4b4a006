// Java .properties files (broker.conf, namesrv.conf) and `key=value` command-line overrides.
// Keys keep RocketMQ's Java spelling. Later Set() calls override earlier ones.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace mq {

class Properties {
 public:
  // Parses `key=value` / `key:value` lines; '#' and '!' start comments; whitespace trimmed.
  static Result<Properties> Parse(std::string_view text);
  static Result<Properties> LoadFile(const std::string& path);

  void Set(std::string key, std::string value) { kv_[std::move(key)] = std::move(value); }
  // Applies "key=value"; returns an error for an argument without '='.
  Status SetFromArg(std::string_view arg);
  void Merge(const Properties& other);

  std::optional<std::string> Get(const std::string& key) const;
  std::string GetString(const std::string& key, const std::string& fallback) const;
  // Typed reads: a present but unparsable value is an error naming the key.
  Result<int64_t> GetInt(const std::string& key, int64_t fallback) const;
  Result<bool> GetBool(const std::string& key, bool fallback) const;
  const std::map<std::string, std::string>& entries() const { return kv_; }

 private:
  std::map<std::string, std::string> kv_;
};

}  // namespace mq
