#include "base/status.h"

namespace mq {

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = ResponseCodeName(ToInt(code_));
  s += '(';
  s += std::to_string(ToInt(code_));
  s += ')';
  if (!remark_.empty()) {
    s += ": ";
    s += remark_;
  }
  return s;
}

}  // namespace mq
