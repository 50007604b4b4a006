// The captured ground truth under FixturesDir() (support/mq_process.h): file bytes and decoded frames. REQUIREs that a named fixture exists and decodes, so a missing file fails loudly.
#pragma once
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "remoting/frame.h"
#include "support/mq_process.h"

namespace mq::testing {

inline std::string ReadFileBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline remoting::Command FixtureFrame(const std::filesystem::path& p) {
  remoting::Command cmd;
  const std::string bytes = ReadFileBytes(p);
  REQUIRE_MESSAGE(!bytes.empty(), p.string());
  REQUIRE(remoting::DecodeFrame(bytes, {}, cmd).ok());
  return cmd;
}

// A frame of the Java 4.9.8 capture by file name, e.g. "0009-client2broker-310.bin".
inline remoting::Command JavaFrame(const std::string& name) { return FixtureFrame(std::filesystem::path(FixturesDir()) / "java-4.9.8" / name); }

}  // namespace mq::testing
