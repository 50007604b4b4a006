#include "remoting/frame.h"

#include <algorithm>
#include <limits>

#include "base/bytes.h"
#include "remoting/header_codec.h"

namespace mq::remoting {
namespace {

constexpr size_t kLengthBytes = 4;
constexpr size_t kPrefixBytes = 8;  // length + header word
constexpr uint32_t kHeaderLengthMask = 0x00FFFFFF;
constexpr size_t kKeepBufferBytes = 256u << 10;

Status Bad(std::string why) { return Status::SystemError("invalid frame: " + std::move(why)); }

// Validates the length field; returns the whole frame size (length field included) in `total`.
// Like Netty's LengthFieldBasedFrameDecoder in the reference, the limit covers the whole frame.
Status CheckLength(const uint8_t* p, const FrameLimits& limits, size_t& total) {
  const uint32_t length = LoadBe32(p);
  if (length < 4) return Bad("length " + std::to_string(length) + " < 4");
  if (length > std::numeric_limits<int32_t>::max() || length + kLengthBytes > limits.max_frame_bytes) {
    return Bad("length " + std::to_string(length) + " exceeds the frame limit");
  }
  total = length + kLengthBytes;
  return Status::Ok();
}

// Validates the header word against the frame length (needs kPrefixBytes at p).
Status CheckHeaderWord(const uint8_t* p, size_t total, const FrameLimits& limits) {
  const uint32_t word = LoadBe32(p + kLengthBytes);
  const uint32_t type = word >> 24;
  const uint32_t header_len = word & kHeaderLengthMask;
  if (type > static_cast<uint32_t>(SerializeType::kRocketmq)) return Bad("serialize type " + std::to_string(type));
  if (header_len > total - kPrefixBytes) return Bad("header length exceeds the frame");
  if (header_len > limits.max_header_bytes) return Bad("header length exceeds the limit");
  return Status::Ok();
}

// Decodes a frame already checked by CheckLength/CheckHeaderWord; `total` bytes at p.
Status DecodeChecked(const uint8_t* p, size_t total, const FrameLimits& limits, Command& out) {
  const uint32_t word = LoadBe32(p + kLengthBytes);
  const size_t header_len = word & kHeaderLengthMask;
  const char* header = reinterpret_cast<const char*>(p + kPrefixBytes);
  return DecodeCommand(static_cast<SerializeType>(word >> 24), std::string_view(header, header_len),
                       std::string_view(header + header_len, total - kPrefixBytes - header_len), limits, out);
}

}  // namespace

Status DecodeCommand(SerializeType type, std::string_view header, std::string_view body,
                     const FrameLimits& limits, Command& out) {
  if (header.size() > limits.max_header_bytes) return Bad("header length exceeds the limit");
  Status s = type == SerializeType::kJson ? detail::DecodeJsonHeader(header, limits, out)
                                          : detail::DecodeBinaryHeader(header, limits, out);
  if (!s.ok()) return s;
  out.serialize_type = type;
  out.body.assign(body);
  return Status::Ok();
}

Status DecodeFrame(std::string_view frame, const FrameLimits& limits, Command& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
  if (frame.size() < kPrefixBytes) return Bad("shorter than its prefix");
  size_t total = 0;
  if (Status s = CheckLength(p, limits, total); !s.ok()) return s;
  if (total != frame.size()) return Bad("length field does not match the frame size");
  if (Status s = CheckHeaderWord(p, total, limits); !s.ok()) return s;
  return DecodeChecked(p, total, limits, out);
}

void EncodeHeader(const Command& cmd, std::string& out) {
  if (cmd.serialize_type == SerializeType::kJson) {
    detail::EncodeJsonHeader(cmd, out);
  } else {
    detail::EncodeBinaryHeader(cmd, out);
  }
}

void EncodeFramePrefix(const Command& cmd, size_t body_size_bytes, std::string& out) {
  const size_t start = out.size();
  out.append(kPrefixBytes, '\0');
  EncodeHeader(cmd, out);
  const size_t header_len = out.size() - start - kPrefixBytes;
  MQ_ASSERT_MSG(header_len <= kHeaderLengthMask, "header does not fit the 24-bit length");
  const size_t length = 4 + header_len + body_size_bytes;
  MQ_ASSERT_MSG(length <= static_cast<size_t>(std::numeric_limits<int32_t>::max()), "frame too large");
  auto* prefix = reinterpret_cast<uint8_t*>(out.data() + start);
  StoreBe32(prefix, static_cast<uint32_t>(length));
  StoreBe32(prefix + kLengthBytes,
            (static_cast<uint32_t>(cmd.serialize_type) << 24) | static_cast<uint32_t>(header_len));
}

void EncodeFrame(const Command& cmd, std::string& out) {
  EncodeFramePrefix(cmd, cmd.body.size(), out);
  out.append(cmd.body);
}

std::string EncodeFrame(const Command& cmd) {
  std::string out;
  EncodeFrame(cmd, out);
  return out;
}

Status FrameDecoder::Feed(const uint8_t* data, size_t size, std::vector<Command>& out) {
  if (poisoned_) return Bad("stream already failed");
  Status s = FeedUnpoisoned(data, size, out);
  if (!s.ok()) {
    poisoned_ = true;
    buf_.clear();
    buf_.shrink_to_fit();
  }
  return s;
}

// Whole frames in the input are decoded in place; only a frame split across calls is copied into
// buf_, and buf_ grows one step at a time (4 bytes, 8 bytes, the frame) so each length is checked
// before the bytes it announces are accepted.
Status FrameDecoder::FeedUnpoisoned(const uint8_t* data, size_t size, std::vector<Command>& out) {
  while (true) {
    if (buf_.empty()) {
      if (size == 0) return Status::Ok();
      size_t total = 0;
      if (size >= kLengthBytes) {
        if (Status s = CheckLength(data, limits_, total); !s.ok()) return s;
      }
      if (size >= kPrefixBytes) {
        if (Status s = CheckHeaderWord(data, total, limits_); !s.ok()) return s;
      }
      if (size < kPrefixBytes || size < total) {
        buf_.assign(reinterpret_cast<const char*>(data), size);
        return Status::Ok();
      }
      out.emplace_back();
      if (Status s = DecodeChecked(data, total, limits_, out.back()); !s.ok()) {
        out.pop_back();
        return s;
      }
      data += total;
      size -= total;
      continue;
    }
    const auto* buffered = reinterpret_cast<const uint8_t*>(buf_.data());
    const size_t have = buf_.size();
    const size_t target = have < kLengthBytes ? kLengthBytes
                          : have < kPrefixBytes ? kPrefixBytes
                                                : LoadBe32(buffered) + kLengthBytes;
    const size_t take = std::min(target - have, size);
    buf_.append(reinterpret_cast<const char*>(data), take);
    data += take;
    size -= take;
    if (buf_.size() < target) return Status::Ok();  // input exhausted
    buffered = reinterpret_cast<const uint8_t*>(buf_.data());
    size_t total = 0;
    if (Status s = CheckLength(buffered, limits_, total); !s.ok()) return s;
    if (buf_.size() >= kPrefixBytes) {
      if (Status s = CheckHeaderWord(buffered, total, limits_); !s.ok()) return s;
    }
    if (buf_.size() < total) continue;  // prefix complete; go for the rest
    out.emplace_back();
    if (Status s = DecodeChecked(buffered, total, limits_, out.back()); !s.ok()) {
      out.pop_back();
      return s;
    }
    buf_.clear();
    // Do not keep a rare multi-MiB frame's buffer alive for the life of the connection.
    if (buf_.capacity() > kKeepBufferBytes) std::string().swap(buf_);
  }
}

}  // namespace mq::remoting
