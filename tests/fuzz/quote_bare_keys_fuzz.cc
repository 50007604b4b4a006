// QuoteBareKeys: idempotent, never touches valid JSON, and its output is never worse for the parser.
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "fuzz_util.h"
#include "remoting/fastjson.h"

using namespace mq::remoting;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string once = QuoteBareKeys(in);
  FUZZ_CHECK(QuoteBareKeys(once) == once);
  FUZZ_CHECK(once.size() >= in.size());
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(in.data(), in.size());
  // A NUL byte ends the text for RapidJSON, so only NUL-free input is compared.
  if (!doc.HasParseError() && in.find('\0') == std::string_view::npos) FUZZ_CHECK(once == in);
  rapidjson::Document parsed;
  (void)ParseFastjson(in, parsed);
  return 0;
}
