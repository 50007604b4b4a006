#include "remoting/fastjson.h"

#include <charconv>
#include <cmath>

#include <rapidjson/error/en.h>

namespace mq::remoting {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// If `in[i..]` is an integer literal followed (after optional whitespace) by ':', returns the end
// of the literal; otherwise 0.
size_t BareKeyEnd(std::string_view in, size_t i) {
  size_t j = i;
  if (j < in.size() && in[j] == '-') ++j;
  const size_t digits = j;
  while (j < in.size() && IsDigit(in[j])) ++j;
  if (j == digits) return 0;
  size_t k = j;
  while (k < in.size() && IsJsonSpace(in[k])) ++k;
  return (k < in.size() && in[k] == ':') ? j : 0;
}

bool ParseDecimal(std::string_view s, int64_t& out) {
  size_t start = (!s.empty() && s[0] == '+') ? 1 : 0;
  if (start == s.size() || (start == 1 && s[1] == '-')) return false;
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data() + start, last, out, 10);
  return ec == std::errc() && ptr == last;
}

Status BadMember(std::string_view name, const char* expected) {
  return Status::SystemError("JSON member \"" + std::string(name) + "\" is not " + expected);
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

}  // namespace

std::string QuoteBareKeys(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 16);
  bool in_string = false;
  bool key_position = false;  // outside strings, only whitespace since the last '{' or ','
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < in.size()) {
        out += in[++i];  // the escaped character can never end the string
      } else if (c == '"') {
        in_string = false;
      }
      ++i;
      continue;
    }
    if (key_position && (c == '-' || IsDigit(c))) {
      if (size_t end = BareKeyEnd(in, i); end != 0) {
        out += '"';
        out.append(in.substr(i, end - i));
        out += '"';
        i = end;
        key_position = false;
        continue;
      }
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == ',') {
      key_position = true;
    } else if (!IsJsonSpace(c)) {
      key_position = false;
    }
    out += c;
    ++i;
  }
  return out;
}

Status ParseFastjson(std::string_view body, rapidjson::Document& doc) {
  const std::string normalized = QuoteBareKeys(body);
  // Iterative parsing: nesting depth of hostile input cannot blow the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(normalized.data(), normalized.size());
  if (doc.HasParseError()) {
    return Status::SystemError(std::string("invalid JSON body at offset ") +
                               std::to_string(doc.GetErrorOffset()) + ": " +
                               rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return Status::Ok();
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 0xF]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

const rapidjson::Value* FindMember(const rapidjson::Value& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

Result<int64_t> GetInt64Member(const rapidjson::Value& obj, std::string_view name, int64_t fallback) {
  const rapidjson::Value* v = FindMember(obj, name);
  if (v == nullptr || v->IsNull()) return fallback;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsDouble()) {
    const double d = v->GetDouble();
    // 2^63 itself is out of range; every double below it in magnitude converts exactly.
    if (std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      return static_cast<int64_t>(d);
    }
  }
  if (v->IsString()) {
    int64_t n = 0;
    if (ParseDecimal(std::string_view(v->GetString(), v->GetStringLength()), n)) return n;
  }
  return BadMember(name, "an integer");
}

Result<int32_t> GetInt32Member(const rapidjson::Value& obj, std::string_view name, int32_t fallback) {
  auto r = GetInt64Member(obj, name, fallback);
  if (!r.ok()) return r.status();
  if (*r < INT32_MIN || *r > INT32_MAX) return BadMember(name, "a 32-bit integer");
  return static_cast<int32_t>(*r);
}

Result<bool> GetBoolMember(const rapidjson::Value& obj, std::string_view name, bool fallback) {
  const rapidjson::Value* v = FindMember(obj, name);
  if (v == nullptr || v->IsNull()) return fallback;
  if (v->IsBool()) return v->GetBool();
  if (v->IsNumber()) return v->GetDouble() != 0.0;
  if (v->IsString()) {
    std::string s(v->GetString(), v->GetStringLength());
    for (char& c : s) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return BadMember(name, "a boolean");
}

Result<std::string> GetStringMember(const rapidjson::Value& obj, std::string_view name,
                                    std::string_view fallback) {
  const rapidjson::Value* v = FindMember(obj, name);
  if (v == nullptr || v->IsNull()) return std::string(fallback);
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsBool()) return std::string(v->GetBool() ? "true" : "false");
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  if (v->IsDouble()) {
    char buf[32];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v->GetDouble());
    if (ec == std::errc()) return std::string(buf, ptr);
  }
  return BadMember(name, "a string");
}

}  // namespace mq::remoting
