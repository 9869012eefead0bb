// What the fuzz targets (fuzz/) found, kept as tests. The inputs are also
// seeds in fuzz/corpus/<target>/finding-*.
#include "core/retry.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace aiven::detail;

TEST_SUITE("hardening.fuzz_findings") {
  TEST_CASE("fuzz_error_body: a Retry-After date centuries away is capped, not a clock overflow") {
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    const auto year = ms(std::chrono::hours(24 * 365));
    CHECK(parse_retry_after("Sun, 06 Nov 59908:49:37 GMT", now) == year);  // the input found (year 5990)
    CHECK(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now) == year);
    CHECK(parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT", now) == ms(0));
    CHECK(parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now) == ms(10'000));  // now + 10 s
  }
}
