// Request code -> handler. Handlers run on the connection's shard and may answer at once
// (conn->Send) or later from the same shard. Unknown codes are answered with
// REQUEST_CODE_NOT_SUPPORTED (never for oneway requests).
#pragma once
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "net/connection.h"
#include "remoting/command.h"

namespace mq::net {

using RequestHandler = std::function<void(const ConnectionPtr& conn, remoting::Command&& request)>;

class ProcessorTable {
 public:
  void Register(int32_t code, RequestHandler handler);
  void Dispatch(const ConnectionPtr& conn, remoting::Command&& request) const;
  bool Has(int32_t code) const { return handlers_.count(code) != 0; }

 private:
  std::unordered_map<int32_t, RequestHandler> handlers_;
};

}  // namespace mq::net
