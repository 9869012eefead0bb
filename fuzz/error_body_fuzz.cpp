// Fuzz target: Aiven's error bodies and the retry hints a 429/503 carries.
// The first byte picks the field: the rest is the error body, a Retry-After
// value, or a message with "try again in Ns".
#include "core/retry.hpp"

#include <aiven/diagnostics.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace aiven::detail;
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  switch (data[0] % 3) {
    case 0: {
      aiven::diagnostics d;
      parse_error_body(in, d);
      // What a 429 does with it: the hint from the message, then each error's.
      auto hint = parse_try_again_hint(d.message);
      for (auto& e : d.errors)
        if (!hint) hint = parse_try_again_hint(e.message);
      if (hint && hint->count() < 0) std::abort();
      (void)d.to_string();
      break;
    }
    case 1: {
      auto r = parse_retry_after(in, now);
      if (r && r->count() < 0) std::abort();  // a wait is never negative
      break;
    }
    default: {
      auto r = parse_try_again_hint(in);
      if (r && r->count() < 0) std::abort();
      break;
    }
  }
  return 0;
}
