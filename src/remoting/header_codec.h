// Internal: the two header encodings (spec 1.4 JSON, 1.5 ROCKETMQ binary). frame.cc dispatches on
// the serialize type; nothing outside src/remoting should need these directly.
#pragma once
#include <string>
#include <string_view>

#include "base/status.h"
#include "remoting/command.h"
#include "remoting/frame.h"

namespace mq::remoting::detail {

// Lenient reader: fills code/language/version/opaque/flag/remark/ext_fields and the JSON-only
// member flags of `out`; leaves serialize_type and body alone.
Status DecodeJsonHeader(std::string_view header, const FrameLimits& limits, Command& out);
// Compact, members in fastjson (alphabetical) order, ext values always strings.
void EncodeJsonHeader(const Command& cmd, std::string& out);

// Strict reader: every length is bounded by the bytes left and by `limits`; trailing bytes are an error.
Status DecodeBinaryHeader(std::string_view header, const FrameLimits& limits, Command& out);
void EncodeBinaryHeader(const Command& cmd, std::string& out);

}  // namespace mq::remoting::detail
