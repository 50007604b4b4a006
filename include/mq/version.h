// mq's version and the RocketMQ release whose protocol it speaks. Public: the client library's
// headers (include/mq/) will sit beside this one.
#pragma once

namespace mq {

inline constexpr const char* kVersion = "0.1.0";
// Apache RocketMQ release mq answers as (MQVersion ordinal 409 = V4_9_8).
inline constexpr const char* kRocketmqCompatibleVersion = "4.9.8";
inline constexpr int kRocketmqVersionOrdinal = 409;

}  // namespace mq
