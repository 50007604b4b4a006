#include "model/properties.h"

#include "base/assert.h"

namespace mq::model {
namespace {

// Calls fn(key, value) for each segment the reference parser keeps, in order.
template <typename Fn>
void ForEachValidSegment(std::string_view encoded, Fn&& fn) {
  size_t pos = 0;
  while (pos < encoded.size()) {
    size_t end = encoded.find(kPropertySeparator, pos);
    if (end == std::string_view::npos) end = encoded.size();
    const std::string_view segment = encoded.substr(pos, end - pos);
    const size_t sep = segment.find(kNameValueSeparator);
    if (sep != std::string_view::npos && sep > 0 && sep + 1 < segment.size()) {
      fn(segment.substr(0, sep), segment.substr(sep + 1));
    }
    pos = end + 1;
  }
}

}  // namespace

MessageProperties MessageProperties::Parse(std::string_view encoded) {
  MessageProperties props;
  ForEachValidSegment(encoded, [&props](std::string_view key, std::string_view value) {
    const bool stored = props.Set(key, value);
    MQ_ASSERT(stored);  // segments reaching here have a non-empty key and value
  });
  return props;
}

size_t MessageProperties::EncodedSize() const {
  size_t size = 0;
  for (const auto& [key, value] : entries_) size += key.size() + 1 + value.size();
  if (!entries_.empty()) size += entries_.size() - 1;
  return size;
}

void MessageProperties::EncodeTo(std::string& out) const {
  const size_t start = out.size();
  out.reserve(start + EncodedSize());
  bool first = true;
  for (const auto& [key, value] : entries_) {
    if (!first) out.push_back(kPropertySeparator);
    first = false;
    out.append(key);
    out.push_back(kNameValueSeparator);
    out.append(value);
  }
  MQ_ASSERT(out.size() - start == EncodedSize());
}

std::string MessageProperties::Encode() const {
  std::string out;
  EncodeTo(out);
  return out;
}

std::optional<std::string_view> MessageProperties::Get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

bool MessageProperties::Set(std::string_view key, std::string_view value) {
  // A separator inside a key or value would change the meaning of the encoded string.
  if (key.empty() || value.empty()) return false;
  if (key.find_first_of("\x01\x02") != std::string_view::npos) return false;
  if (value.find(kPropertySeparator) != std::string_view::npos) return false;
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v.assign(value);
      return true;
    }
  }
  entries_.emplace_back(std::string(key), std::string(value));
  return true;
}

bool MessageProperties::Erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<std::string_view> FindProperty(std::string_view encoded, std::string_view key) {
  std::optional<std::string_view> found;
  ForEachValidSegment(encoded, [&](std::string_view k, std::string_view v) {
    if (k == key) found = v;
  });
  return found;
}

}  // namespace mq::model
