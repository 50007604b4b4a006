// Shared helpers of the commit-log tests: temporary store directories and encoded records.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <string>

#include "model/message_record.h"

namespace mq::store::testing {

// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mq-store-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One encoded record: topic "T<queue_id>", body = `body`, queue offset as given.
inline std::string EncodeTestRecord(const std::string& body, int32_t queue_id = 0, int64_t queue_offset = 0,
                                    int64_t born_ms = 1700000000000) {
  model::MessageRecord r;
  r.queue_id = queue_id;
  r.queue_offset = queue_offset;
  r.born_timestamp_ms = born_ms;
  r.born_host = model::HostAddress::V4(127, 0, 0, 1, 40000);
  r.store_host = model::HostAddress::V4(127, 0, 0, 1, 10911);
  r.topic = "T" + std::to_string(queue_id);
  r.body = body;
  std::string out;
  model::EncodeRecord(r, out);
  return out;
}

inline const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace mq::store::testing
