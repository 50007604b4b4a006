// DecodeCommand(JSON) over arbitrary header bytes: error or a command that round-trips.
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
  if (DecodeCommand(SerializeType::kJson, header, "body", limits, cmd).ok()) {
    FUZZ_CHECK(cmd.ext_fields.size() <= limits.max_ext_fields);
    FUZZ_CHECK(!cmd.remark || cmd.remark->size() <= limits.max_remark_bytes);
    fuzz::CheckRoundTrip(cmd);
  }
  return 0;
}
