// A raw test connection to 127.0.0.1:port: sends arbitrary bytes (fixture frames, garbage, a frame
// cut in pieces) and reads whole frames back with a deadline. Test-only; product code uses
// net::Client / net::BlockingClient.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "remoting/command.h"
#include "remoting/frame.h"

namespace mq::testing {

class FrameConn {
 public:
  explicit FrameConn(uint16_t port);
  ~FrameConn();
  FrameConn(const FrameConn&) = delete;
  FrameConn& operator=(const FrameConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool SendBytes(const std::string& bytes);
  bool Send(const remoting::Command& cmd) { return SendBytes(remoting::EncodeFrame(cmd)); }
  // The next frame, or nullopt on timeout / close / decode error.
  std::optional<remoting::Command> Read(int timeout_ms = 5000);
  // The header word (serialize type byte + length) of the last frame read.
  uint32_t last_header_word() const { return last_header_word_; }
  // True when the peer closed the connection within timeout_ms (reads and drops any data).
  bool WaitClosed(int timeout_ms = 5000);
  void Close();

 private:
  int fd_ = -1;
  std::string buf_;
  uint32_t last_header_word_ = 0;
};

// Reads a fixture file whole.
std::string ReadFile(const std::string& path);

}  // namespace mq::testing
