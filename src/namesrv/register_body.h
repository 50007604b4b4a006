// Decodes the REGISTER_BROKER body (spec 2.3): RegisterBrokerBody JSON, a bare
// TopicConfigSerializeWrapper for senders older than V3_0_11, or the zlib form when
// `compressed=true`. Java writes integer map keys unquoted; both are accepted. Sizes are bounded.
#pragma once
#include <string_view>
#include <vector>

#include "base/status.h"
#include "namesrv/route_table.h"

namespace mq::namesrv {

struct RegisterBody {
  DataVersion data_version;
  std::vector<TopicQueueConfig> topics;
};

constexpr size_t kMaxRegisterBodyBytes = 64u << 20;  // after inflation
constexpr size_t kMaxRegisterTopics = 1u << 20;

Result<RegisterBody> DecodeRegisterBody(std::string_view body, bool compressed, bool wrapped);
// DataVersion JSON {"counter":..,"timestamp":..} (QUERY_DATA_VERSION body).
Result<DataVersion> DecodeDataVersion(std::string_view json);
std::string EncodeDataVersion(const DataVersion& v);

}  // namespace mq::namesrv
