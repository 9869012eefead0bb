// The inputs of fuzz_decode decoded as the largest response schemas of the service area, each
// compared with decode_differential.hpp. Include after api/service.cpp and api/common.cpp.
#pragma once

#include "decode_differential.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aiven::differential {

/// Every check of fuzz_decode over one input: the largest response schemas of the service area.
inline std::string check(std::string_view body) {
  using namespace aiven::api;
  std::string r;
  auto add = [&r](std::string s) {
    if (!s.empty()) r += s + "\n";
  };
  add(compare<service_get_out>(body, "service", "service_get_out"));
  add(compare<std::vector<service_out>>(body, "services", "vector<service_out>"));
  add(compare<service_update_out>(body, "service", "service_update_out"));
  add(compare<service_create_out>(body, "service", "service_create_out"));
  add(compare<service_backups_get_out>(body, {}, "service_backups_get_out"));
  add(compare<service_database_list_out>(body, {}, "service_database_list_out"));
  add(compare<list_public_service_types_out>(body, "service_types", "list_public_service_types_out"));
  add(compare<std::map<std::string, std::string>>(body, "tags", "map<string, string>"));
  // The same documents one level down: the wrapper is optional to a fuzzer.
  add(compare<service_get_out>(body, {}, "service_get_out"));
  return r;
}

}  // namespace aiven::differential
