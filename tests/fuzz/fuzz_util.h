// Helpers shared by the libFuzzer targets: invariant checks that abort (so both libFuzzer and the
// replay runner report them) and command equality.
#pragma once
#include <cstdio>
#include <cstdlib>

#include "remoting/command.h"
#include "remoting/frame.h"

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace mq::remoting::fuzz {

inline bool SameCommand(const Command& a, const Command& b) {
  if (a.code != b.code || a.language != b.language || a.version != b.version || a.opaque != b.opaque ||
      a.flag != b.flag || a.remark != b.remark || a.serialize_type != b.serialize_type ||
      a.ext_fields_member != b.ext_fields_member || a.serialize_type_member != b.serialize_type_member ||
      a.body != b.body || a.ext_fields.size() != b.ext_fields.size()) {
    return false;
  }
  auto it = b.ext_fields.begin();
  for (const auto& entry : a.ext_fields) {
    if (entry != *it++) return false;
  }
  return true;
}

// A decoded command must survive encode -> decode unchanged, and our encoding is a fixed point.
inline void CheckRoundTrip(const Command& cmd) {
  const std::string frame = EncodeFrame(cmd);
  Command again;
  FrameLimits roomy;  // re-encoding may grow the header (numbers gain quotes)
  roomy.max_frame_bytes = 0xFFFFFFFFu;
  roomy.max_header_bytes = 0x00FFFFFFu;
  const Status s = DecodeFrame(frame, roomy, again);
  if (!s.ok()) std::fprintf(stderr, "re-decode failed: %s\n", s.ToString().c_str());
  FUZZ_CHECK(s.ok());
  FUZZ_CHECK(SameCommand(cmd, again));
  FUZZ_CHECK(EncodeFrame(again) == frame);
}

}  // namespace mq::remoting::fuzz
