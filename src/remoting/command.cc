#include "remoting/command.h"

#include <array>
#include <charconv>
#include <limits>

namespace mq::remoting {
namespace {

// Index = binary language code (spec 1.7).
constexpr std::array<const char*, 13> kLanguageNames = {
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"};
constexpr uint8_t kLanguageOther = 7;

// Integer.parseInt / Long.parseLong: optional single sign, then one or more decimal digits, nothing
// else (no whitespace), overflow is an error.
template <typename T>
bool ParseJavaInteger(std::string_view s, T& out) {
  if (s.empty()) return false;
  size_t start = 0;
  if (s[0] == '+') start = 1;  // from_chars accepts '-' but not '+'
  if (start == s.size()) return false;
  if (start == 1 && s.size() > 1 && s[1] == '-') return false;
  const char* first = s.data() + start;
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, out, 10);
  return ec == std::errc() && ptr == last;
}

Status MissingField(std::string_view key) {
  return Status::SystemError("the custom field <" + std::string(key) + "> is null");
}

Status MalformedField(std::string_view key, const std::string& value) {
  return Status::SystemError("the custom field <" + std::string(key) + "> is not a number: " + value);
}

template <typename T>
Result<T> GetInteger(const ExtFields& fields, std::string_view key) {
  const std::string* v = fields.Find(key);
  if (v == nullptr) return MissingField(key);
  T n{};
  if (!ParseJavaInteger(*v, n)) return MalformedField(key, *v);
  return n;
}

template <typename T>
Result<T> GetIntegerOr(const ExtFields& fields, std::string_view key, T fallback) {
  const std::string* v = fields.Find(key);
  if (v == nullptr) return fallback;
  T n{};
  if (!ParseJavaInteger(*v, n)) return MalformedField(key, *v);
  return n;
}

}  // namespace

const char* LanguageName(uint8_t code) {
  return code < kLanguageNames.size() ? kLanguageNames[code] : kLanguageNames[kLanguageOther];
}

uint8_t LanguageCodeOf(std::string_view name) {
  for (size_t i = 0; i < kLanguageNames.size(); ++i) {
    if (name == kLanguageNames[i]) return static_cast<uint8_t>(i);
  }
  return kLanguageOther;
}

void ExtFields::Set(std::string key, std::string value) {
  for (auto& entry : entries_) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

const std::string* ExtFields::Find(std::string_view key) const {
  // Linear scan: headers carry at most ~20 fields, where this beats any map.
  for (const auto& entry : entries_) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

bool ExtFields::Erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

Result<std::string> ExtFields::GetString(std::string_view key) const {
  const std::string* v = Find(key);
  if (v == nullptr) return MissingField(key);
  return *v;
}

Result<int64_t> ExtFields::GetInt64(std::string_view key) const { return GetInteger<int64_t>(*this, key); }
Result<int32_t> ExtFields::GetInt32(std::string_view key) const { return GetInteger<int32_t>(*this, key); }

Result<int64_t> ExtFields::GetInt64Or(std::string_view key, int64_t fallback) const {
  return GetIntegerOr<int64_t>(*this, key, fallback);
}

Result<int32_t> ExtFields::GetInt32Or(std::string_view key, int32_t fallback) const {
  return GetIntegerOr<int32_t>(*this, key, fallback);
}

bool ExtFields::GetBoolOr(std::string_view key, bool fallback) const {
  const std::string* v = Find(key);
  if (v == nullptr) return fallback;
  // Boolean.parseBoolean: only a case-insensitive "true" is true; anything else is false.
  if (v->size() != 4) return false;
  static constexpr char kTrue[] = "true";
  for (size_t i = 0; i < 4; ++i) {
    char c = (*v)[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kTrue[i]) return false;
  }
  return true;
}

Command Command::Request(int32_t code) {
  Command cmd;
  cmd.code = code;
  return cmd;
}

Command Command::ResponseTo(const Command& request, int32_t code, std::optional<std::string> remark) {
  Command cmd;
  cmd.code = code;
  cmd.opaque = request.opaque;
  cmd.flag = kFlagResponse;
  cmd.remark = std::move(remark);
  // C++ and ali-ons read the whole header word as the length: answering a JSON request with a
  // ROCKETMQ header would break them, and Java expects its own choice echoed (spec 1.3).
  cmd.serialize_type = request.serialize_type;
  return cmd;
}

}  // namespace mq::remoting
