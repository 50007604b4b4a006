// ROCKETMQ binary header (spec 1.5). Java reads code, version and key lengths as signed shorts;
// we do the same so a frame decodes to what the reference would see.
#include <cstring>
#include <limits>

#include "base/bytes.h"
#include "remoting/header_codec.h"

namespace mq::remoting::detail {
namespace {

constexpr size_t kMaxKeyBytes = std::numeric_limits<int16_t>::max();

// Bounds-checked reader over the header bytes; every Read fails rather than overrun.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), left_(bytes.size()) {}
  size_t left() const { return left_; }
  bool ReadI16(int16_t& v) { return Read(2, [&] { v = static_cast<int16_t>(LoadBe16(p_)); }); }
  bool ReadI32(int32_t& v) { return Read(4, [&] { v = static_cast<int32_t>(LoadBe32(p_)); }); }
  bool ReadU8(uint8_t& v) { return Read(1, [&] { v = *p_; }); }
  bool ReadBytes(size_t n, std::string& v) {
    return Read(n, [&] { v.assign(reinterpret_cast<const char*>(p_), n); });
  }

 private:
  template <typename F>
  bool Read(size_t n, F&& f) {
    if (n > left_) return false;
    f();
    p_ += n;
    left_ -= n;
    return true;
  }
  const uint8_t* p_;
  size_t left_;
};

Status Bad(const char* why) { return Status::SystemError(std::string("invalid ROCKETMQ header: ") + why); }

Status DecodeExtFields(Cursor& block, const FrameLimits& limits, ExtFields& out) {
  while (block.left() > 0) {
    int16_t key_len = 0;
    int32_t value_len = 0;
    std::string key;
    std::string value;
    if (!block.ReadI16(key_len) || key_len < 0) return Bad("ext key length");
    if (!block.ReadBytes(static_cast<size_t>(key_len), key)) return Bad("ext key exceeds its block");
    if (!block.ReadI32(value_len) || value_len < 0) return Bad("ext value length");
    if (static_cast<size_t>(value_len) > block.left()) return Bad("ext value exceeds its block");
    if (out.size() >= limits.max_ext_fields && out.Find(key) == nullptr) return Bad("too many ext fields");
    if (!block.ReadBytes(static_cast<size_t>(value_len), value)) return Bad("ext value exceeds its block");
    out.Set(std::move(key), std::move(value));
  }
  return Status::Ok();
}

}  // namespace

Status DecodeBinaryHeader(std::string_view header, const FrameLimits& limits, Command& out) {
  Cursor in(header);
  int16_t code = 0;
  uint8_t language = 0;
  int16_t version = 0;
  int32_t remark_len = 0;
  if (!in.ReadI16(code) || !in.ReadU8(language) || !in.ReadI16(version) || !in.ReadI32(out.opaque) ||
      !in.ReadI32(out.flag) || !in.ReadI32(remark_len)) {
    return Bad("shorter than its fixed part");
  }
  out.code = code;
  out.language = LanguageName(language);
  out.version = version;
  if (remark_len < 0 || static_cast<size_t>(remark_len) > in.left()) return Bad("remark length");
  if (static_cast<uint32_t>(remark_len) > limits.max_remark_bytes) return Bad("remark too long");
  out.remark.reset();
  if (remark_len > 0) {
    std::string remark;
    (void)in.ReadBytes(static_cast<size_t>(remark_len), remark);  // bounded just above
    out.remark = std::move(remark);
  }
  int32_t ext_len = 0;
  if (!in.ReadI32(ext_len) || ext_len < 0 || static_cast<size_t>(ext_len) > in.left()) {
    return Bad("ext fields length");
  }
  if (static_cast<size_t>(ext_len) != in.left()) return Bad("trailing bytes after ext fields");
  out.ext_fields = ExtFields();
  Cursor block(header.substr(header.size() - static_cast<size_t>(ext_len)));
  if (Status s = DecodeExtFields(block, limits, out.ext_fields); !s.ok()) return s;
  // Binary headers have no such members; a re-encode as JSON then writes what Java would.
  out.ext_fields_member = true;
  out.serialize_type_member = true;
  return Status::Ok();
}

void EncodeBinaryHeader(const Command& cmd, std::string& out) {
  // Java casts code and version to short; values outside int16 wrap the same way there.
  AppendBe16(out, static_cast<uint16_t>(cmd.code));
  out += static_cast<char>(LanguageCodeOf(cmd.language));
  AppendBe16(out, static_cast<uint16_t>(cmd.version));
  AppendBe32(out, static_cast<uint32_t>(cmd.opaque));
  AppendBe32(out, static_cast<uint32_t>(cmd.flag));
  const std::string_view remark = cmd.remark ? std::string_view(*cmd.remark) : std::string_view();
  AppendBe32(out, static_cast<uint32_t>(remark.size()));
  out.append(remark);

  size_t ext_len = 0;
  for (const auto& [key, value] : cmd.ext_fields) {
    if (key.size() <= kMaxKeyBytes) ext_len += 2 + key.size() + 4 + value.size();
  }
  MQ_ASSERT(ext_len <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  AppendBe32(out, static_cast<uint32_t>(ext_len));
  for (const auto& [key, value] : cmd.ext_fields) {
    // A key no signed short can describe would make Java read a negative length: leave it out.
    if (key.size() > kMaxKeyBytes) continue;
    AppendBe16(out, static_cast<uint16_t>(key.size()));
    out.append(key);
    AppendBe32(out, static_cast<uint32_t>(value.size()));
    out.append(value);
  }
}

}  // namespace mq::remoting::detail
