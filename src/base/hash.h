// Checksums and hashes whose exact values are part of RocketMQ's formats.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mq {

// CRC-32 (zlib/IEEE) with the sign bit cleared: message body CRC and REGISTER_BROKER bodyCrc32.
int32_t MaskedCrc32(const void* data, size_t size_bytes);

// java.lang.String#hashCode over the UTF-16 code units of a UTF-8 string (invalid UTF-8 bytes
// hash as themselves). "TagA" -> 2598919. Used for tagsCode and the index key hash.
int32_t JavaStringHash(std::string_view utf8);

}  // namespace mq
