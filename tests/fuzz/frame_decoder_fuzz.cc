// FrameDecoder over arbitrary streams: the first byte picks a chunk size; feeding in chunks must
// give exactly what feeding everything at once gives, and every decoded command must round-trip.
#include <cstdint>
#include <vector>

#include "fuzz_util.h"

using namespace mq::remoting;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  FrameLimits limits;
  limits.max_frame_bytes = 1u << 16;  // small limits reach the limit checks with small inputs
  limits.max_header_bytes = 1u << 12;
  limits.max_ext_fields = 16;
  limits.max_remark_bytes = 256;

  FrameDecoder whole(limits);
  std::vector<Command> whole_out;
  const bool whole_ok = whole.Feed(data, size, whole_out).ok();

  FrameDecoder split(limits);
  std::vector<Command> split_out;
  bool split_ok = true;
  for (size_t pos = 0; pos < size && split_ok; pos += chunk) {
    split_ok = split.Feed(data + pos, std::min(chunk, size - pos), split_out).ok();
  }
  FUZZ_CHECK(whole_ok == split_ok);
  FUZZ_CHECK(whole_out.size() == split_out.size());
  for (size_t i = 0; i < whole_out.size(); ++i) {
    FUZZ_CHECK(fuzz::SameCommand(whole_out[i], split_out[i]));
    fuzz::CheckRoundTrip(whole_out[i]);
  }
  if (whole_ok) {
    FUZZ_CHECK(whole.buffered_bytes() == split.buffered_bytes());
  } else {
    std::vector<Command> more;
    FUZZ_CHECK(!whole.Feed(data, size, more).ok() && more.empty());  // poisoned
  }
  return 0;
}
