// Shared helpers for the remoting tests: fixture discovery and command comparison.
#pragma once
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "remoting/command.h"

namespace mq::remoting::test {

inline std::filesystem::path FixturesDir() {
  const char* env = std::getenv("MQ_FIXTURES");
  return env != nullptr ? std::filesystem::path(env) : std::filesystem::path("/work/shared/fixtures");
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Directories holding captured frames: java-4.9.8 and clients/<client>/<scenario>, sorted.
inline std::vector<std::filesystem::path> FrameDirs() {
  std::vector<std::filesystem::path> dirs;
  const auto root = FixturesDir();
  if (std::filesystem::is_directory(root / "java-4.9.8")) dirs.push_back(root / "java-4.9.8");
  if (std::filesystem::is_directory(root / "clients")) {
    for (const auto& client : std::filesystem::directory_iterator(root / "clients")) {
      if (!client.is_directory()) continue;
      for (const auto& scenario : std::filesystem::directory_iterator(client.path())) {
        if (scenario.is_directory()) dirs.push_back(scenario.path());
      }
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

inline std::vector<std::filesystem::path> BinFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".bin") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Empty when equal, else the first differing field.
inline std::string DiffCommands(const Command& a, const Command& b) {
  if (a.code != b.code) return "code " + std::to_string(a.code) + " vs " + std::to_string(b.code);
  if (a.language != b.language) return "language " + a.language + " vs " + b.language;
  if (a.version != b.version) return "version";
  if (a.opaque != b.opaque) return "opaque";
  if (a.flag != b.flag) return "flag";
  if (a.remark != b.remark) return "remark";
  if (a.serialize_type != b.serialize_type) return "serialize_type";
  if (a.ext_fields_member != b.ext_fields_member) return "ext_fields_member";
  if (a.serialize_type_member != b.serialize_type_member) return "serialize_type_member";
  if (a.body != b.body) return "body";
  if (!std::equal(a.ext_fields.begin(), a.ext_fields.end(), b.ext_fields.begin(), b.ext_fields.end())) {
    return "ext_fields";
  }
  return {};
}

}  // namespace mq::remoting::test
