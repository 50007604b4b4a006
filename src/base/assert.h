// Always-on invariant checks (TigerBeetle style): a broken invariant stops the process with the
// location, it never limps on. MQ_FATAL is for environmental failures where stopping is the answer.
#pragma once

namespace mq::detail {
[[noreturn]] void AssertFail(const char* expr, const char* file, int line, const char* msg);
}  // namespace mq::detail

#define MQ_ASSERT(cond)                                                             \
  do {                                                                              \
    if (__builtin_expect(!(cond), 0)) ::mq::detail::AssertFail(#cond, __FILE__, __LINE__, nullptr); \
  } while (0)

#define MQ_ASSERT_MSG(cond, msg)                                                    \
  do {                                                                              \
    if (__builtin_expect(!(cond), 0)) ::mq::detail::AssertFail(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)

#define MQ_FATAL(msg) ::mq::detail::AssertFail("fatal", __FILE__, __LINE__, (msg))
