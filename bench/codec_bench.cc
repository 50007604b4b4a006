// Remoting codec micro benchmarks: decode / encode of a real SEND_MESSAGE_V2 request (Java client
// 4.9.8 capture) with a JSON header and with a ROCKETMQ header. Frames come from
// $MQ_FIXTURES/java-4.9.8 (or $MQ_SOURCE_ROOT/../shared/fixtures); without fixtures an equivalent
// request is built in code.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "remoting/frame.h"
#include "remoting/request_code.h"

namespace {

using namespace mq::remoting;

std::filesystem::path FixtureDir() {
  if (const char* env = std::getenv("MQ_FIXTURES")) return std::filesystem::path(env) / "java-4.9.8";
  if (const char* root = std::getenv("MQ_SOURCE_ROOT")) {
    return std::filesystem::path(root) / ".." / "shared" / "fixtures" / "java-4.9.8";
  }
  return "/work/shared/fixtures/java-4.9.8";
}

// The first captured SEND_MESSAGE_V2 request of the wanted serialize type, or "".
std::string FindFixture(SerializeType type) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(FixtureDir(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.find("-310") != std::string::npos && e.path().extension() == ".bin") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string bytes = ss.str();
    if (bytes.size() > 8 && static_cast<uint8_t>(bytes[4]) == static_cast<uint8_t>(type)) return bytes;
  }
  return {};
}

Command BuiltSendV2(SerializeType type) {
  Command cmd = Command::Request(RequestCode::kSendMessageV2);
  cmd.serialize_type = type;
  cmd.opaque = 6;
  const char* fields[][2] = {
      {"a", "acc_sync_p_1795477156771_27574"}, {"b", "acc_sync_1795477156771_27574"}, {"c", "TBW102"},
      {"d", "4"}, {"e", "0"}, {"f", "0"}, {"g", "1795477158235"}, {"h", "0"},
      {"i", "KEYS\001sync-m-0\002UNIQ_KEY\001FD00000000000000000000000000000026BB65FFD2B27765F515A0000"
            "\002WAIT\001true\002TAGS\001TagA"},
      {"j", "0"}, {"k", "false"}, {"m", "false"}, {"n", "broker-a"}};
  for (const auto& f : fields) cmd.ext_fields.Set(f[0], f[1]);
  cmd.body = std::string(64, 'x');
  return cmd;
}

std::string SendV2Frame(SerializeType type) {
  std::string frame = FindFixture(type);
  return frame.empty() ? EncodeFrame(BuiltSendV2(type)) : frame;
}

void BM_Codec_DecodeFrame(benchmark::State& state, SerializeType type) {
  const std::string frame = SendV2Frame(type);
  const FrameLimits limits;
  for (auto _ : state) {
    Command cmd;
    if (!DecodeFrame(frame, limits, cmd).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(cmd);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}

void BM_Codec_EncodeFrame(benchmark::State& state, SerializeType type) {
  Command cmd;
  if (!DecodeFrame(SendV2Frame(type), FrameLimits{}, cmd).ok()) state.SkipWithError("decode failed");
  std::string out;
  for (auto _ : state) {
    out.clear();
    EncodeFrame(cmd, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}

// The connection path: a stream of back-to-back frames through FrameDecoder, 64 KiB reads.
void BM_Codec_FrameDecoderStream(benchmark::State& state, SerializeType type) {
  const std::string frame = SendV2Frame(type);
  std::string stream;
  while (stream.size() < (256u << 10)) stream += frame;
  const size_t frames = stream.size() / frame.size();
  std::vector<Command> out;
  for (auto _ : state) {
    FrameDecoder decoder;
    out.clear();
    for (size_t pos = 0; pos < stream.size(); pos += 65536) {
      const size_t n = std::min<size_t>(65536, stream.size() - pos);
      if (!decoder.Feed(reinterpret_cast<const uint8_t*>(stream.data()) + pos, n, out).ok()) {
        state.SkipWithError("feed failed");
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames));
}

BENCHMARK_CAPTURE(BM_Codec_DecodeFrame, send_v2_json, SerializeType::kJson);
BENCHMARK_CAPTURE(BM_Codec_DecodeFrame, send_v2_rocketmq, SerializeType::kRocketmq);
BENCHMARK_CAPTURE(BM_Codec_EncodeFrame, send_v2_json, SerializeType::kJson);
BENCHMARK_CAPTURE(BM_Codec_EncodeFrame, send_v2_rocketmq, SerializeType::kRocketmq);
BENCHMARK_CAPTURE(BM_Codec_FrameDecoderStream, send_v2_json, SerializeType::kJson);
BENCHMARK_CAPTURE(BM_Codec_FrameDecoderStream, send_v2_rocketmq, SerializeType::kRocketmq);

}  // namespace

BENCHMARK_MAIN();
