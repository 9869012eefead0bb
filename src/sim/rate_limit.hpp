// Aiven's rate limiter as the simulator plays it: per token, a fixed window of N requests
// per T seconds, or a leaky bucket of N that drains N per T. Sans-io: the caller gives the
// time, so tests drive it without sleeping.
#pragma once

#include <aiven/sim/simulator.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace aiven::sim::detail {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  void configure(const rate_limit_options& o) {
    std::lock_guard lock(m_);
    opts_ = o;
    state_.clear();
  }
  rate_limit_options options() const {
    std::lock_guard lock(m_);
    return opts_;
  }

  /// nullopt: admitted. Else the whole seconds to wait, as the API's message names them.
  std::optional<unsigned> admit(const std::string& token, clock::time_point now) {
    std::lock_guard lock(m_);
    if (opts_.mode == rate_limit_mode::off || opts_.requests == 0) return std::nullopt;
    const double window = std::chrono::duration<double>(opts_.window).count();
    entry& e = state_[token];
    if (opts_.mode == rate_limit_mode::fixed_window) {
      if (e.count == 0 || now - e.start >= opts_.window) {
        e.start = now;
        e.count = 0;
      }
      if (e.count < opts_.requests) {
        ++e.count;
        return std::nullopt;
      }
      double left = window - std::chrono::duration<double>(now - e.start).count();
      return hint(left);
    }
    // Leaky bucket: the level drains at N per T; a request that would overflow waits.
    const double rate = static_cast<double>(opts_.requests) / window;
    const double size = static_cast<double>(opts_.burst ? opts_.burst : opts_.requests);
    if (e.count != 0) e.level = std::max(0.0, e.level - rate * std::chrono::duration<double>(now - e.start).count());
    e.start = now;
    e.count = 1;
    if (e.level + 1.0 <= size) {
      e.level += 1.0;
      return std::nullopt;
    }
    return hint((e.level + 1.0 - size) / rate);
  }

 private:
  unsigned hint(double s) const { return opts_.fixed_hint_s ? opts_.fixed_hint_s : whole_seconds(s); }
  // Rounded up, at least 1; the epsilon keeps 4.0000000001 (floating point) at 4.
  static unsigned whole_seconds(double s) { return static_cast<unsigned>(std::max(1.0, std::ceil(s - 1e-9))); }
  struct entry {
    clock::time_point start{};
    unsigned count = 0;
    double level = 0;
  };
  mutable std::mutex m_;
  rate_limit_options opts_;
  std::map<std::string, entry> state_;
};

}  // namespace aiven::sim::detail
