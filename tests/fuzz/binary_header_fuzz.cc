// DecodeCommand(ROCKETMQ) over arbitrary header bytes: error or a command whose re-encoding is
// byte-identical to the input (the binary format has exactly one spelling per command).
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"

using namespace mq::remoting;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  FrameLimits limits;
  limits.max_ext_fields = 64;
  limits.max_remark_bytes = 512;
  Command cmd;
  if (DecodeCommand(SerializeType::kRocketmq, header, {}, limits, cmd).ok()) {
    FUZZ_CHECK(cmd.ext_fields.size() <= limits.max_ext_fields);
    fuzz::CheckRoundTrip(cmd);
    std::string again;
    EncodeHeader(cmd, again);
    // Equal unless a language byte outside the table (decoded as OTHER) or a repeated key collapsed.
    const bool canonical_language = size < 3 || data[2] <= 12;
    if (canonical_language && again.size() == size) FUZZ_CHECK(again == header);
  }
  return 0;
}
