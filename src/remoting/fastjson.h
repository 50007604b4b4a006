// The fastjson dialect of JSON bodies (spec 2.1). Java writes integer map keys unquoted
// (`{0:"a"}`), which RapidJSON rejects; QuoteBareKeys normalises that before parsing. Readers are
// lenient the way fastjson is: numbers may arrive as strings, booleans as "true"/"false".
// Enum name-or-ordinal handling is left to callers (they know the enum).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/status.h"

namespace mq::remoting {

// Quotes every unquoted integer object key (`{0:"a",-1:2}` -> `{"0":"a","-1":2}`). Only touches
// text outside string literals; every other byte is kept as is. Never fails: malformed input comes
// back (mostly) unchanged for the JSON parser to reject.
std::string QuoteBareKeys(std::string_view json);

// Parses a body (after QuoteBareKeys) into `doc`. Invalid JSON -> SYSTEM_ERROR with the offset
// and reason. Strings are copied into doc's allocator, so `body` need not outlive `doc`.
Status ParseFastjson(std::string_view body, rapidjson::Document& doc);

// Appends `s` as a JSON string literal the way fastjson writes it: `"` and `\` escaped, \b \f \n
// \r \t short forms, other control characters < 0x20 as \u00XX (upper-case hex), all else raw.
void AppendJsonString(std::string& out, std::string_view s);

// Member lookup that tolerates a non-object `obj` (returns nullptr).
const rapidjson::Value* FindMember(const rapidjson::Value& obj, std::string_view name);

// Lenient typed member reads. Absent or null -> fallback. Present but unusable -> SYSTEM_ERROR
// naming the member.
//  int64: JSON integer, integral double, or decimal string ("1690000000000", Long.parseLong rules).
//  bool:  true/false, "true"/"false" (any case), or number (non-zero = true).
//  string: string as is; numbers and booleans as their JSON text.
Result<int64_t> GetInt64Member(const rapidjson::Value& obj, std::string_view name, int64_t fallback);
Result<int32_t> GetInt32Member(const rapidjson::Value& obj, std::string_view name, int32_t fallback);
Result<bool> GetBoolMember(const rapidjson::Value& obj, std::string_view name, bool fallback);
Result<std::string> GetStringMember(const rapidjson::Value& obj, std::string_view name,
                                    std::string_view fallback);

}  // namespace mq::remoting
