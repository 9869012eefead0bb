// Fuzz target: typed decoding of the largest response schemas (ServiceGet, ServiceList,
// ServiceUpdate, ...) from arbitrary bytes. Decoding must end in a result or errc::bad_response
// with a message, never a crash or a hang, and the SAX decoders the calls run must agree with
// the tree decoders kept as their reference (decode_differential.hpp).
//
// The generated decoders are internal to their TU: this shim compiles that TU itself (the fuzz
// build leaves it out of the library), with the tree decoders, and the common models' TU.
#define AIVEN_CODEC_TREE_REFERENCE 1
#include "api/common.cpp"
#include "api/service.cpp"

#include "decode_service_checks.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto diff = aiven::differential::check(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!diff.empty()) {
    std::fprintf(stderr, "%s", diff.c_str());
    std::abort();
  }
  return 0;
}
