// The name server's KV config (spec 3.2: PUT/GET/DELETE_KV_CONFIG, GET_KVLIST_BY_NAMESPACE),
// persisted as {"configTable":{"<namespace>":{"<key>":"<value>"}}} at kvConfigPath. Lives on
// shard 0 with the route table. Writes are rare admin operations, so the file is rewritten
// synchronously (tmp + rename) on each change.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "base/status.h"

namespace mq::namesrv {

class KvConfig {
 public:
  explicit KvConfig(std::string path) : path_(std::move(path)) {}
  // Loads the file (or its .bak); a missing file is an empty table.
  Status Load();
  Status Put(const std::string& ns, const std::string& key, const std::string& value);
  std::optional<std::string> Get(const std::string& ns, const std::string& key) const;
  Status Delete(const std::string& ns, const std::string& key);
  // KVTable JSON {"table":{...}} of a namespace, nullopt when it has no entries.
  std::optional<std::string> NamespaceJson(const std::string& ns) const;
  const std::string& path() const { return path_; }

 private:
  Status Persist() const;
  std::string path_;
  std::map<std::string, std::map<std::string, std::string>> table_;
};

}  // namespace mq::namesrv
