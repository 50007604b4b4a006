#include "net/processor_table.h"

#include <exception>
#include <string>
#include <utility>

#include "base/assert.h"
#include "base/log.h"

namespace mq::net {

void ProcessorTable::Register(int32_t code, RequestHandler handler) {
  MQ_ASSERT(handler != nullptr);
  MQ_ASSERT_MSG(handlers_.count(code) == 0, "request code registered twice");
  handlers_.emplace(code, std::move(handler));
}

void ProcessorTable::Dispatch(const ConnectionPtr& conn, remoting::Command&& request) const {
  MQ_ASSERT(conn != nullptr);
  MQ_ASSERT(!request.is_response());
  auto it = handlers_.find(request.code);
  if (it == handlers_.end()) {
    if (request.is_oneway()) {
      MQ_LOG_DEBUG("dropping oneway request with unknown code {} from {}", request.code, conn->peer_address());
      return;
    }
    conn->Send(remoting::Command::ResponseTo(request, ResponseCode::kRequestCodeNotSupported,
                                             " request type " + std::to_string(request.code) + " not supported"));
    return;
  }
  // Handlers return errors as responses; this catch is the last line against a third-party
  // exception (e.g. bad_alloc inside a library) killing the shard thread.
  const bool oneway = request.is_oneway();
  remoting::Command header_copy;
  header_copy.opaque = request.opaque;
  header_copy.serialize_type = request.serialize_type;
  header_copy.code = request.code;
  try {
    it->second(conn, std::move(request));
  } catch (const std::exception& e) {
    MQ_LOG_ERROR("handler for request code {} from {} threw: {}", header_copy.code, conn->peer_address(), e.what());
    if (!oneway) conn->Send(remoting::Command::ResponseTo(header_copy, ResponseCode::kSystemError, e.what()));
  }
}

}  // namespace mq::net
