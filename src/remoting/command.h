// RemotingCommand: one decoded request or response (spec 1.2-1.8). Plain data; no I/O.
// ExtFields keep insertion order so a decoded Java header re-encodes to the same bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/response_code.h"
#include "base/status.h"
#include "mq/version.h"

namespace mq::remoting {

enum class SerializeType : uint8_t { kJson = 0, kRocketmq = 1 };

constexpr int32_t kFlagResponse = 0x1;
constexpr int32_t kFlagOneway = 0x2;
// What mq sends as `version` in every frame: Apache RocketMQ 4.9.8's ordinal (spec 1.8).
constexpr int32_t kServerVersion = kRocketmqVersionOrdinal;

// Language names by binary code (spec 1.7); "OTHER" for unknown codes, code 7 for unknown names.
const char* LanguageName(uint8_t code);
uint8_t LanguageCodeOf(std::string_view name);

class ExtFields {
 public:
  using Entry = std::pair<std::string, std::string>;
  // Replaces the value of an existing key (keeping its position) or appends.
  void Set(std::string key, std::string value);
  const std::string* Find(std::string_view key) const;
  bool Erase(std::string_view key);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // Typed reads with Java's parse rules (spec 1.9). Missing required -> SYSTEM_ERROR naming the key.
  Result<std::string> GetString(std::string_view key) const;
  Result<int64_t> GetInt64(std::string_view key) const;
  Result<int32_t> GetInt32(std::string_view key) const;
  // Optional fields: absent -> fallback; present but malformed -> error.
  Result<int64_t> GetInt64Or(std::string_view key, int64_t fallback) const;
  Result<int32_t> GetInt32Or(std::string_view key, int32_t fallback) const;
  bool GetBoolOr(std::string_view key, bool fallback) const;  // Boolean.parseBoolean semantics

 private:
  std::vector<Entry> entries_;
};

struct Command {
  int32_t code = 0;
  std::string language = "JAVA";
  int32_t version = kServerVersion;
  int32_t opaque = 0;
  int32_t flag = 0;
  std::optional<std::string> remark;
  ExtFields ext_fields;
  // JSON only: whether the header had an "extFields" member / "serializeTypeCurrentRPC" member.
  // Kept so Java frames re-encode byte-identical; responses mq builds set both true.
  bool ext_fields_member = true;
  bool serialize_type_member = true;
  SerializeType serialize_type = SerializeType::kJson;
  std::string body;

  bool is_response() const { return (flag & kFlagResponse) != 0; }
  bool is_oneway() const { return (flag & kFlagOneway) != 0; }

  // A request mq originates (JSON, language JAVA, version 409). Opaque is set by the sender.
  static Command Request(int32_t code);
  // A response to `request`: same opaque and serialize type, RESPONSE flag, given code/remark.
  static Command ResponseTo(const Command& request, int32_t code, std::optional<std::string> remark = {});
  static Command ResponseTo(const Command& request, ResponseCode code, std::optional<std::string> remark = {}) {
    return ResponseTo(request, ToInt(code), std::move(remark));
  }
  static Command ErrorResponse(const Command& request, const Status& status) {
    return ResponseTo(request, status.code(), status.remark());
  }
};

}  // namespace mq::remoting
