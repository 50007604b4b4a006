#include "remoting/request_code.h"

namespace mq::remoting {

const char* RequestCodeName(int32_t code) {
  switch (code) {
#define MQ_REMOTING_CODE_CASE(name, value, text) \
  case value:                                    \
    return text;
    MQ_REMOTING_REQUEST_CODES(MQ_REMOTING_CODE_CASE)
#undef MQ_REMOTING_CODE_CASE
    default:
      return "UNKNOWN";
  }
}

}  // namespace mq::remoting
