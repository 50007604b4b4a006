// A small synchronous remoting client over a plain blocking socket, for tests and command-line
// tools. Never use it from shard code: every call blocks the calling thread (each wait bounded by
// its timeout). Not thread-safe: one thread at a time.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "remoting/command.h"
#include "remoting/frame.h"

namespace mq::net {

class BlockingClient {
 public:
  // addr is "ip:port". Fails with a clear Status on refusal or timeout.
  static Result<std::unique_ptr<BlockingClient>> Connect(const std::string& addr, uint64_t timeout_ms = 3000,
                                                         remoting::FrameLimits limits = {});
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Assigns the next opaque, sends, and waits for the response with that opaque (other frames
  // arriving meanwhile are dropped).
  Result<remoting::Command> Invoke(remoting::Command request, uint64_t timeout_ms);
  // Sends as is (oneway requests, or frames whose opaque the caller chose).
  Status Send(const remoting::Command& command, uint64_t timeout_ms = 3000);
  Status SendRaw(std::string_view bytes, uint64_t timeout_ms = 3000);
  // The next decoded frame, or an error on timeout, peer close or a malformed frame.
  Result<remoting::Command> ReadFrame(uint64_t timeout_ms);
  // True if the peer closes the connection within timeout_ms (anything received is discarded).
  bool WaitForClose(uint64_t timeout_ms);

  int32_t NextOpaque() { return next_opaque_++ & 0x7fffffff; }
  const std::string& addr() const { return addr_; }

 private:
  BlockingClient(int fd, std::string addr, remoting::FrameLimits limits);
  // Reads once (waiting up to timeout_ms); returns bytes read, 0 on EOF, or an error.
  Result<size_t> ReadSome(uint64_t timeout_ms, char* buf, size_t cap);

  int fd_;
  std::string addr_;
  remoting::FrameDecoder decoder_;
  std::deque<remoting::Command> ready_;
  int32_t next_opaque_ = 1;
};

}  // namespace mq::net
