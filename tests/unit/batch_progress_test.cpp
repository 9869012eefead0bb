// `aiven batch`'s progress line and its redraw throttle, with the time passed in.
#include "cli/progress.hpp"

#include <doctest/doctest.h>

using namespace aiven::cli;
using namespace std::chrono_literals;

TEST_SUITE("unit.batch_progress") {
  TEST_CASE("the line: done, failed, in flight, rate; a newline only when final") {
    CHECK(format_batch_progress({120, 3, 8}, 4s, false) == "\raiven batch: 120 done, 3 failed, 8 in flight, 30.0/s");
    CHECK(format_batch_progress({1, 0, 0}, 3s, true) == "\raiven batch: 1 done, 0 failed, 0 in flight, 0.3/s\n");
    CHECK(format_batch_progress({0, 0, 5}, 0s, false) == "\raiven batch: 0 done, 0 failed, 5 in flight, 0.0/s");
  }

  TEST_CASE("redrawn at most every 100 ms; the final line always") {
    const progress_meter::clock::time_point t0{};
    progress_meter m(t0);
    CHECK(m.update({1, 0, 7}, t0 + 10ms) == "\raiven batch: 1 done, 0 failed, 7 in flight, 100.0/s");
    CHECK(m.update({2, 0, 6}, t0 + 50ms).empty());
    CHECK(m.update({3, 1, 5}, t0 + 109ms).empty());
    CHECK(m.update({4, 1, 4}, t0 + 110ms) == "\raiven batch: 4 done, 1 failed, 4 in flight, 36.4/s");
    CHECK(m.update({5, 1, 0}, t0 + 120ms, true) == "\raiven batch: 5 done, 1 failed, 0 in flight, 41.7/s\n");
  }
}
