// `aiven batch` progress on stderr: what the line says and when it is redrawn. Time is
// passed in, so that the formatting and the throttle are tested without a clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace aiven::cli {

struct batch_counts {
  std::size_t done = 0;    // finished requests, failed ones included
  std::size_t failed = 0;  // of those, the failed ones (API errors and bad lines)
  std::size_t in_flight = 0;
};

/// "\raiven batch: 120 done, 3 failed, 8 in flight, 41.3/s" (with "\n" when final).
inline std::string format_batch_progress(const batch_counts& c, std::chrono::duration<double> elapsed, bool final_line) {
  const double s = elapsed.count();
  char line[160];
  std::snprintf(line, sizeof line, "\raiven batch: %zu done, %zu failed, %zu in flight, %.1f/s%s", c.done, c.failed,
                c.in_flight, s > 0 ? static_cast<double>(c.done) / s : 0.0, final_line ? "\n" : "");
  return line;
}

/// Redraws at most every `every` (a terminal is not written thousands of times a second),
/// and always for the final line.
class progress_meter {
 public:
  using clock = std::chrono::steady_clock;
  explicit progress_meter(clock::time_point start, std::chrono::milliseconds every = std::chrono::milliseconds(100))
      : start_(start), every_(every) {}

  /// The line to draw, or "" when the last one was drawn less than `every` ago.
  std::string update(const batch_counts& c, clock::time_point now, bool final_line = false) {
    if (!final_line && drawn_ && now - last_ < every_) return {};
    drawn_ = true;
    last_ = now;
    return format_batch_progress(c, now - start_, final_line);
  }

 private:
  clock::time_point start_, last_{};
  std::chrono::milliseconds every_;
  bool drawn_ = false;
};

}  // namespace aiven::cli
