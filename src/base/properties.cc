#include "base/properties.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace mq {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Properties> Properties::Parse(std::string_view text) {
  Properties props;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = Trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) {
      props.Set(std::string(line), "");
      continue;
    }
    props.Set(std::string(Trim(line.substr(0, sep))), std::string(Trim(line.substr(sep + 1))));
  }
  return props;
}

Result<Properties> Properties::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::SystemError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str());
}

Status Properties::SetFromArg(std::string_view arg) {
  size_t sep = arg.find('=');
  if (sep == std::string_view::npos || sep == 0) {
    return Status::SystemError("expected key=value, got '" + std::string(arg) + "'");
  }
  Set(std::string(Trim(arg.substr(0, sep))), std::string(Trim(arg.substr(sep + 1))));
  return Status::Ok();
}

void Properties::Merge(const Properties& other) {
  for (const auto& [k, v] : other.kv_) kv_[k] = v;
}

std::optional<std::string> Properties::Get(const std::string& key) const {
  auto it = kv_.find(key);
  if (it == kv_.end()) return std::nullopt;
  return it->second;
}

std::string Properties::GetString(const std::string& key, const std::string& fallback) const {
  auto v = Get(key);
  return v ? *v : fallback;
}

Result<int64_t> Properties::GetInt(const std::string& key, int64_t fallback) const {
  auto v = Get(key);
  if (!v) return fallback;
  int64_t out = 0;
  const char* b = v->data();
  const char* e = b + v->size();
  auto [p, ec] = std::from_chars(b, e, out);
  if (ec != std::errc() || p != e) return Status::SystemError("config " + key + ": not an integer: '" + *v + "'");
  return out;
}

Result<bool> Properties::GetBool(const std::string& key, bool fallback) const {
  auto v = Get(key);
  if (!v) return fallback;
  std::string s = *v;
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true") return true;
  if (s == "false") return false;
  return Status::SystemError("config " + key + ": not a boolean: '" + *v + "'");
}

}  // namespace mq
