// Status and Result<T>: the error path of every data path. No exceptions cross a shard loop;
// a failure carries the RocketMQ response code a client will see plus a remark for humans.
#pragma once
#include <string>
#include <utility>
#include <variant>

#include "base/assert.h"
#include "base/response_code.h"

namespace mq {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ResponseCode code, std::string remark) : code_(code), remark_(std::move(remark)) {}

  static Status Ok() { return Status(); }
  static Status Error(ResponseCode code, std::string remark) { return Status(code, std::move(remark)); }
  // Shorthand for the generic failure (SYSTEM_ERROR).
  static Status SystemError(std::string remark) { return Status(ResponseCode::kSystemError, std::move(remark)); }

  bool ok() const { return code_ == ResponseCode::kSuccess; }
  ResponseCode code() const { return code_; }
  const std::string& remark() const { return remark_; }
  std::string ToString() const;

 private:
  ResponseCode code_ = ResponseCode::kSuccess;
  std::string remark_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {    // NOLINT
    MQ_ASSERT(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    MQ_ASSERT(!ok());
    return std::get<Status>(v_);
  }
  T& value() & {
    MQ_ASSERT(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    MQ_ASSERT(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    MQ_ASSERT(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mq
