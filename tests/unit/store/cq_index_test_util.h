// Helpers for the consume-queue and index tests: a temporary store root removed on scope exit, a
// writable copy of the 4.9.8 fixture store, and the fixture's manifest.
#pragma once
#include <rapidjson/document.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mq::store::test {

class TempRoot {
 public:
  TempRoot() {
    char tmpl[] = "/tmp/mq-cq-index-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    path_ = dir != nullptr ? dir : "";
  }
  ~TempRoot() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string FixturePath(const std::string& rel) {
  const char* root = std::getenv("MQ_FIXTURES");
  return std::string(root != nullptr ? root : "/work/shared/fixtures") + "/" + rel;
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Copies fixtures/store-4.9.8/store to <dest>/store (the fixture is read-only: make the copy writable).
inline std::string CopyFixtureStore(const std::string& dest) {
  namespace fs = std::filesystem;
  const std::string root = dest + "/store";
  std::error_code ec;
  const fs::path src = FixturePath("store-4.9.8/store");
  // By hand: fs::copy would give the new directories the fixture's read-only modes.
  fs::create_directories(root, ec);
  for (const auto& e : fs::recursive_directory_iterator(src, ec)) {
    const fs::path to = fs::path(root) / fs::relative(e.path(), src);
    std::error_code ec2;
    if (e.is_directory(ec2)) {
      fs::create_directories(to, ec2);
    } else {
      fs::copy_file(e.path(), to, ec2);
      fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add, ec2);
    }
    if (ec2) return "";
  }
  if (ec) return "";
  return root;
}

inline bool LoadManifest(rapidjson::Document& doc) {
  const std::string text = ReadWholeFile(FixturePath("store-4.9.8/manifest.json"));
  doc.Parse(text.c_str(), text.size());
  return !doc.HasParseError() && doc.IsArray();
}

inline std::string JsonStr(const rapidjson::Value& v, const char* key) {
  if (!v.HasMember(key) || !v[key].IsString()) return "";
  return v[key].GetString();
}

}  // namespace mq::store::test
