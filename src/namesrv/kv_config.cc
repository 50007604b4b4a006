#include "namesrv/kv_config.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "remoting/fastjson.h"

namespace mq::namesrv {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Status KvConfig::Load() {
  for (const std::string& candidate : {path_, path_ + ".bak"}) {
    auto text = ReadFile(candidate);
    if (!text || text->empty()) continue;
    rapidjson::Document doc;
    if (!remoting::ParseFastjson(*text, doc).ok() || !doc.IsObject()) {
      MQ_LOG_WARN("kv config {} is not valid JSON, trying the backup", candidate);
      continue;
    }
    auto table = doc.FindMember("configTable");
    if (table == doc.MemberEnd() || !table->value.IsObject()) return Status::Ok();
    for (auto ns = table->value.MemberBegin(); ns != table->value.MemberEnd(); ++ns) {
      if (!ns->value.IsObject()) continue;
      for (auto kv = ns->value.MemberBegin(); kv != ns->value.MemberEnd(); ++kv) {
        if (kv->value.IsString()) table_[ns->name.GetString()][kv->name.GetString()] = kv->value.GetString();
      }
    }
    MQ_LOG_INFO("loaded kv config from {}", candidate);
    return Status::Ok();
  }
  return Status::Ok();
}

Status KvConfig::Put(const std::string& ns, const std::string& key, const std::string& value) {
  table_[ns][key] = value;
  return Persist();
}

std::optional<std::string> KvConfig::Get(const std::string& ns, const std::string& key) const {
  auto n = table_.find(ns);
  if (n == table_.end()) return std::nullopt;
  auto k = n->second.find(key);
  if (k == n->second.end()) return std::nullopt;
  return k->second;
}

Status KvConfig::Delete(const std::string& ns, const std::string& key) {
  auto n = table_.find(ns);
  if (n == table_.end() || n->second.erase(key) == 0) return Status::Ok();
  if (n->second.empty()) table_.erase(n);
  return Persist();
}

std::optional<std::string> KvConfig::NamespaceJson(const std::string& ns) const {
  auto n = table_.find(ns);
  if (n == table_.end() || n->second.empty()) return std::nullopt;
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("table");
  w.StartObject();
  for (const auto& [k, v] : n->second) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Status KvConfig::Persist() const {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("configTable");
  w.StartObject();
  for (const auto& [ns, kvs] : table_) {
    w.Key(ns.c_str(), static_cast<rapidjson::SizeType>(ns.size()));
    w.StartObject();
    for (const auto& [k, v] : kvs) {
      w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
      w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(sb.GetString(), static_cast<std::streamsize>(sb.GetSize()));
    out.flush();
    if (!out) return Status::SystemError("cannot write " + tmp);
  }
  if (std::filesystem::exists(path_, ec)) std::filesystem::copy_file(path_, path_ + ".bak", std::filesystem::copy_options::overwrite_existing, ec);
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) return Status::SystemError("cannot rename " + tmp + " to " + path_);
  return Status::Ok();
}

}  // namespace mq::namesrv
