// Loads a captured frame of fixtures/java-4.9.8 as a Command.
#pragma once
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "remoting/command.h"
#include "remoting/frame.h"

namespace mq::client::test {

inline std::string FixtureFile(const std::string& rel) {
  const char* root = std::getenv("MQ_FIXTURES");
  return std::string(root != nullptr ? root : "/work/shared/fixtures") + "/java-4.9.8/" + rel;
}

inline remoting::Command LoadFrame(const std::string& file) {
  std::ifstream in(FixtureFile(file), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  remoting::Command cmd;
  remoting::FrameLimits limits;
  const Status st = remoting::DecodeFrame(ss.str(), limits, cmd);
  MQ_ASSERT(st.ok());
  return cmd;
}

inline std::map<std::string, std::string> Fields(const remoting::Command& cmd) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : cmd.ext_fields) out[k] = v;
  return out;
}

}  // namespace mq::client::test
