// Replay runner for builds without libFuzzer: runs LLVMFuzzerTestOneInput over every file of the
// given files/directories (recursively). With --frame-headers=json|rocketmq, a file that is a whole
// frame of that serialize type is also fed as just its header bytes. Exit 0 unless a target aborts.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int header_type = -1;      // -1: feed whole files only
bool feed_bodies = false;  // --frame-bodies: also feed the body of every whole frame

void RunFile(const std::filesystem::path& path, size_t& runs) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ++runs;
  if ((header_type < 0 && !feed_bodies) || bytes.size() < 8) return;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint32_t length = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  const uint32_t header_len = (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
  if (feed_bodies) {
    if (length + 4 == bytes.size() && p[4] <= 1 && header_len <= length - 4) {
      LLVMFuzzerTestOneInput(p + 8 + header_len, length - 4 - header_len);
      ++runs;
    }
    return;
  }
  if (length + 4 != bytes.size() || p[4] != header_type || header_len > length - 4) return;
  LLVMFuzzerTestOneInput(p + 8, header_len);
  ++runs;
}

}  // namespace

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--frame-headers=json") == 0) {
      header_type = 0;
      continue;
    }
    if (std::strcmp(argv[i], "--frame-bodies") == 0) {
      feed_bodies = true;
      continue;
    }
    if (std::strcmp(argv[i], "--frame-headers=rocketmq") == 0) {
      header_type = 1;
      continue;
    }
    const std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
        if (e.is_regular_file()) RunFile(e.path(), runs);
      }
    } else if (std::filesystem::is_regular_file(path)) {
      RunFile(path, runs);
    } else {
      std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
      return 1;
    }
  }
  std::printf("replayed %zu inputs\n", runs);
  return 0;
}
