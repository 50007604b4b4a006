// Outcome and Expected<T>: how every call of the client library reports failure. No exceptions
// cross the library boundary. `code` is the RocketMQ response code the broker or name server
// answered (spec 4.1: 17 TOPIC_NOT_EXIST, 13 MESSAGE_ILLEGAL, ...), or 1 SYSTEM_ERROR for local
// failures (no route, timeout, connection refused); `remark` says what happened and what to do.
// This header depends on nothing internal so applications can include it as is.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace mq {

class [[nodiscard]] Outcome {
 public:
  Outcome() = default;  // success
  Outcome(int32_t code, std::string remark) : code_(code), remark_(std::move(remark)) {}
  static Outcome Ok() { return Outcome(); }
  static Outcome Fail(std::string remark) { return Outcome(1, std::move(remark)); }

  bool ok() const { return code_ == 0; }
  int32_t code() const { return code_; }
  const std::string& remark() const { return remark_; }
  // "CODE_NAME(code): remark", or "OK".
  std::string ToString() const;

 private:
  int32_t code_ = 0;
  std::string remark_;
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}                 // NOLINT: implicit by design
  Expected(Outcome error) : error_(std::move(error)) {            // NOLINT
    if (error_.ok()) error_ = Outcome::Fail("Expected constructed from a success Outcome");
  }
  bool ok() const { return value_.has_value(); }
  // The failure; Outcome::Ok() when a value is held.
  const Outcome& error() const { return error_; }
  // Precondition ok(); calling these on a failure is a programming error (std::bad_optional_access).
  T& value() & { return value_.value(); }
  const T& value() const& { return value_.value(); }
  T&& value() && { return std::move(value_).value(); }
  T* operator->() { return &value_.value(); }
  const T* operator->() const { return &value_.value(); }

 private:
  std::optional<T> value_;
  Outcome error_;
};

}  // namespace mq
