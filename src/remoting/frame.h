// Frame codec (spec 1.2-1.5): pure functions over bytes plus an incremental decoder that accepts
// a stream split at any byte. Every length read off the wire is checked against FrameLimits
// before anything is allocated; a malformed frame is an error the connection must close on.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "remoting/command.h"

namespace mq::remoting {

struct FrameLimits {
  uint32_t max_frame_bytes = 16u << 20;   // RocketMQ's com.rocketmq.remoting.frameMaxLength
  uint32_t max_header_bytes = 1u << 20;   // far above any real header (a few KiB)
  uint32_t max_ext_fields = 4096;
  uint32_t max_remark_bytes = 1u << 20;
};

// Decodes the header bytes of the given serialize type and the body into `out`.
Status DecodeCommand(SerializeType type, std::string_view header, std::string_view body,
                     const FrameLimits& limits, Command& out);

// Decodes one whole frame (length field included, nothing after it), e.g. a captured .bin file.
Status DecodeFrame(std::string_view frame, const FrameLimits& limits, Command& out);

// Encodes the header of `cmd` in cmd.serialize_type.
void EncodeHeader(const Command& cmd, std::string& out);
// Appends a whole frame: length, header word, header, cmd.body.
void EncodeFrame(const Command& cmd, std::string& out);
std::string EncodeFrame(const Command& cmd);
// Appends length + header word + header for a frame whose body (body_size_bytes) the caller sends
// separately, e.g. straight from commit-log pages.
void EncodeFramePrefix(const Command& cmd, size_t body_size_bytes, std::string& out);

class FrameDecoder {
 public:
  explicit FrameDecoder(FrameLimits limits = {}) : limits_(limits) {}
  // Consumes `size` bytes; appends every completed command to `out`. After an error the decoder is
  // poisoned (every later call fails): the stream cannot be resynchronised. Commands completed
  // before the bad frame in the same call are still appended.
  Status Feed(const uint8_t* data, size_t size, std::vector<Command>& out);
  size_t buffered_bytes() const { return buf_.size(); }

 private:
  Status FeedUnpoisoned(const uint8_t* data, size_t size, std::vector<Command>& out);

  FrameLimits limits_;
  std::string buf_;
  bool poisoned_ = false;
};

}  // namespace mq::remoting
