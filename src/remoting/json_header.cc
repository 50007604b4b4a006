// JSON header (spec 1.4). Read with a RapidJSON SAX handler straight into the Command: no DOM,
// ext fields keep wire order, and numbers arrive as their raw text (kParseNumbersAsStringsFlag) so
// a C++ client's `"d":4` becomes "4" exactly as Java's HashMap<String,String> would see it.
#include <charconv>
#include <string>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "remoting/fastjson.h"
#include "remoting/header_codec.h"

namespace mq::remoting::detail {
namespace {

enum class Member { kUnknown, kCode, kFlag, kOpaque, kVersion, kLanguage, kRemark, kExtFields, kSerializeType };

Member MemberOf(std::string_view key) {
  if (key == "code") return Member::kCode;
  if (key == "extFields") return Member::kExtFields;
  if (key == "flag") return Member::kFlag;
  if (key == "language") return Member::kLanguage;
  if (key == "opaque") return Member::kOpaque;
  if (key == "remark") return Member::kRemark;
  if (key == "serializeTypeCurrentRPC") return Member::kSerializeType;
  if (key == "version") return Member::kVersion;
  return Member::kUnknown;
}

enum class Kind { kNull, kBool, kNumber, kString };

class HeaderHandler {
 public:
  HeaderHandler(const FrameLimits& limits, Command& out) : limits_(limits), out_(out) {}

  const Status& error() const { return error_; }

  bool Null() { return Scalar(Kind::kNull, {}); }
  bool Bool(bool b) { return Scalar(Kind::kBool, b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return Scalar(Kind::kNumber, {s, n}); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return Scalar(Kind::kString, {s, n}); }
  // Unused with kParseNumbersAsStringsFlag; kept so the handler is complete.
  bool Int(int i) { return Integer(i); }
  bool Uint(unsigned u) { return Integer(u); }
  bool Int64(int64_t i) { return Integer(i); }
  bool Uint64(uint64_t u) { return Integer(u); }
  bool Double(double d) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return Scalar(Kind::kNumber, {buf, static_cast<size_t>(r.ptr - buf)});
  }

  bool StartObject() { return Open(true); }
  bool StartArray() { return Open(false); }
  bool EndObject(rapidjson::SizeType) { return Close(true); }
  bool EndArray(rapidjson::SizeType) { return Close(false); }

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (capture_depth_ != 0) return writer_.Key(s, n);
    if (skip_depth_ != 0) return true;
    if (depth_ == 1) {
      member_ = MemberOf({s, n});
    } else {  // depth_ == 2, inside extFields
      ext_key_.assign(s, n);
    }
    return true;
  }

 private:
  template <typename T>
  bool Integer(T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return Scalar(Kind::kNumber, {buf, static_cast<size_t>(r.ptr - buf)});
  }

  bool Fail(std::string why) {
    error_ = Status::SystemError("invalid JSON header: " + why);
    return false;
  }

  bool Open(bool object) {
    ++depth_;
    if (capture_depth_ != 0) return object ? writer_.StartObject() : writer_.StartArray();
    if (skip_depth_ != 0) return true;
    if (depth_ == 1) return object ? true : Fail("not an object");
    if (depth_ == 2) {
      if (object && member_ == Member::kExtFields) {
        out_.ext_fields_member = true;
        out_.ext_fields = ExtFields();  // a repeated member replaces the earlier one, as in fastjson
        return true;
      }
      if (member_ != Member::kUnknown && member_ != Member::kSerializeType) {
        return Fail("member has a structured value");
      }
      skip_depth_ = depth_;  // unknown member: ignore its whole value
      return true;
    }
    // depth_ == 3: an object/array as an ext value, kept as its compact JSON text.
    capture_depth_ = depth_;
    capture_.Clear();
    writer_.Reset(capture_);
    return object ? writer_.StartObject() : writer_.StartArray();
  }

  bool Close(bool object) {
    const int closing = depth_--;
    if (capture_depth_ != 0) {
      if (!(object ? writer_.EndObject() : writer_.EndArray())) return false;
      if (closing == capture_depth_) {
        capture_depth_ = 0;
        return SetExt(std::string(capture_.GetString(), capture_.GetSize()));
      }
      return true;
    }
    if (skip_depth_ != 0) {
      if (closing == skip_depth_) skip_depth_ = 0;
      return true;
    }
    return true;
  }

  bool SetExt(std::string value) {
    if (out_.ext_fields.size() >= limits_.max_ext_fields && out_.ext_fields.Find(ext_key_) == nullptr) {
      return Fail("more than " + std::to_string(limits_.max_ext_fields) + " ext fields");
    }
    out_.ext_fields.Set(ext_key_, std::move(value));
    return true;
  }

  bool Scalar(Kind kind, std::string_view text) {
    if (capture_depth_ != 0) {
      switch (kind) {
        case Kind::kNull: return writer_.Null();
        case Kind::kBool: return writer_.Bool(text == "true");
        case Kind::kNumber:  // Writer::RawNumber of RapidJSON 1.1.0 quotes its input; RawValue does not
          return writer_.RawValue(text.data(), text.size(), rapidjson::kNumberType);
        case Kind::kString: return writer_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
      }
    }
    if (skip_depth_ != 0) return true;
    if (depth_ == 0) return Fail("not an object");
    if (depth_ == 2) {  // an ext value; null means absent
      return kind == Kind::kNull ? true : SetExt(std::string(text));
    }
    return TopMember(kind, text);
  }

  bool TopMember(Kind kind, std::string_view text) {
    switch (member_) {
      case Member::kCode: return Int32Member(kind, text, "code", out_.code);
      case Member::kFlag: return Int32Member(kind, text, "flag", out_.flag);
      case Member::kOpaque: return Int32Member(kind, text, "opaque", out_.opaque);
      case Member::kVersion: return Int32Member(kind, text, "version", out_.version);
      case Member::kLanguage:
        if (kind == Kind::kString) {
          out_.language.assign(text);
        } else if (kind == Kind::kNumber) {  // fastjson accepts an enum ordinal
          int32_t ordinal = 0;
          if (!ParseInt32(text, ordinal) || ordinal < 0 || ordinal > 255) return Fail("bad language");
          out_.language = LanguageName(static_cast<uint8_t>(ordinal));
        }
        return true;
      case Member::kRemark:
        if (kind == Kind::kNull) {
          out_.remark.reset();
          return true;
        }
        if (text.size() > limits_.max_remark_bytes) return Fail("remark too long");
        out_.remark.emplace(text);
        return true;
      case Member::kExtFields:
        out_.ext_fields_member = false;  // null (or a nonsensical scalar): no ext fields
        out_.ext_fields = ExtFields();
        return true;
      case Member::kSerializeType:
        out_.serialize_type_member = kind != Kind::kNull;
        return true;
      case Member::kUnknown:
        return true;
    }
    return true;
  }

  static bool ParseInt32(std::string_view text, int32_t& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 10);
    return ec == std::errc() && ptr == text.data() + text.size();
  }

  bool Int32Member(Kind kind, std::string_view text, const char* name, int32_t& field) {
    if (kind == Kind::kNull) return true;
    if (kind == Kind::kBool || !ParseInt32(text, field)) {
      return Fail(std::string(name) + " is not a 32-bit integer");
    }
    return true;
  }

  const FrameLimits& limits_;
  Command& out_;
  Status error_;
  int depth_ = 0;
  int skip_depth_ = 0;     // != 0: ignoring the value that opened at this depth
  int capture_depth_ = 0;  // != 0: re-serialising the ext value that opened at this depth
  Member member_ = Member::kUnknown;
  std::string ext_key_;
  rapidjson::StringBuffer capture_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace

Status DecodeJsonHeader(std::string_view header, const FrameLimits& limits, Command& out) {
  // Defaults of a fastjson-parsed Java RemotingCommand for members that are absent.
  out.code = 0;
  out.language = "JAVA";
  out.version = 0;
  out.opaque = 0;
  out.flag = 0;
  out.remark.reset();
  out.ext_fields = ExtFields();
  out.ext_fields_member = false;
  out.serialize_type_member = false;

  HeaderHandler handler(limits, out);
  rapidjson::MemoryStream stream(header.data(), header.size());
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
  if (!handler.error().ok()) return handler.error();
  if (result.IsError()) {
    return Status::SystemError("invalid JSON header at offset " + std::to_string(result.Offset()) + ": " +
                               rapidjson::GetParseError_En(result.Code()));
  }
  // MemoryStream reports NUL at its end, so a NUL byte inside the header would look like the end.
  if (stream.Tell() != header.size()) return Status::SystemError("invalid JSON header: trailing bytes");
  return Status::Ok();
}

void EncodeJsonHeader(const Command& cmd, std::string& out) {
  out += "{\"code\":";
  char num[16];
  auto append_int = [&](int32_t v) {
    auto r = std::to_chars(num, num + sizeof num, v);
    out.append(num, r.ptr);
  };
  append_int(cmd.code);
  if (cmd.ext_fields_member || !cmd.ext_fields.empty()) {
    out += ",\"extFields\":{";
    bool first = true;
    for (const auto& [key, value] : cmd.ext_fields) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(out, key);
      out += ':';
      AppendJsonString(out, value);
    }
    out += '}';
  }
  out += ",\"flag\":";
  append_int(cmd.flag);
  out += ",\"language\":";
  AppendJsonString(out, cmd.language);
  out += ",\"opaque\":";
  append_int(cmd.opaque);
  if (cmd.remark.has_value()) {
    out += ",\"remark\":";
    AppendJsonString(out, *cmd.remark);
  }
  if (cmd.serialize_type_member) out += ",\"serializeTypeCurrentRPC\":\"JSON\"";
  out += ",\"version\":";
  append_int(cmd.version);
  out += '}';
}

}  // namespace mq::remoting::detail
