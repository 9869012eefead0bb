// Retry decisions, server retry hints and the client-wide limiter. Sans-io:
// nothing here sleeps or touches a socket, so it is tested with a fake clock.
#pragma once

#include "core/rate_governor.hpp"

#include <aiven/client.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

namespace aiven::detail {

using ms = std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 10.2.3), relative to `now`.
std::optional<ms> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);
/// Aiven's hint in a 429 message: "... try again in 28s" (also "ms", "m"); at most a year.
std::optional<ms> parse_try_again_hint(std::string_view message);

/// now + timeout, saturated: milliseconds::max() (or anything past the clock's range) means
/// no deadline, time_point::max(). A timeout of zero or less is `now`.
steady::time_point deadline_after(steady::time_point now, ms timeout) noexcept;

/// Aiven's error body ({"message": ..., "errors": [...]}) into d.message and
/// d.errors; anything else (not JSON, other shapes) leaves them as they were.
void parse_error_body(std::string_view body, diagnostics& d);

/// What one attempt came to, as far as retrying is concerned.
struct attempt_result {
  error_code ec;
  /// False when the request provably never reached the server (connect or
  /// TLS failure, or a connection that failed before the request was sent).
  bool may_have_reached_server = true;
  std::optional<ms> retry_after;  // the server's hint (429, 503)
};

struct retry_step {
  bool retry = false;
  ms delay{0};
  bool shared_pause = false;  // a 429: pause every call of the client, not just this one
  error_code final_ec;        // when !retry: the error to report
};

class retry_state {
 public:
  retry_state(const retry_options& opts, bool idempotent, std::uint64_t seed)
      : opts_(opts), idempotent_(idempotent), rng_(seed) {}

  /// Call after every attempt; says whether and when to try again.
  retry_step on_attempt(const attempt_result& r);
  /// Failed attempts so far (429s are not counted: see refusals()).
  unsigned attempts() const noexcept { return attempts_; }
  unsigned refusals() const noexcept { return refusals_; }

 private:
  ms backoff();
  ms refusal_backoff();

  retry_options opts_;
  bool idempotent_;
  unsigned attempts_ = 0;
  unsigned refusals_ = 0;
  ms rate_limit_waited_{0};
  std::minstd_rand rng_;  // per call: never shared between calls
};

/// Client-wide admission: the token's rate governor (rate_limit_options::adaptive), or
/// else the shared pause after a 429; then the optional token bucket. Thread-safe.
class limiter {
 public:
  /// `governor`: the token's (shared with the other clients of it), or null for the
  /// shared pause of rate_limit_options::adaptive = false.
  limiter(const rate_limit_options& rl, ms resume_spread, std::shared_ptr<rate_governor> governor = nullptr)
      : rl_(rl), spread_(resume_spread), governor_(std::move(governor)) {
    tokens_ = rl_.burst;
  }
  /// Every call of the client waits until at least `until` (no governor only).
  void pause_until(steady::time_point until);
  /// When this attempt may be sent (now, or later), reserving its slot; or, when not
  /// `reserved`, the time to ask again.
  /// `decided`: the admission of the budget shared across processes, instead of the governor's.
  rate_admission admit(steady::time_point now, std::minstd_rand& rng, const rate_admission* decided = nullptr);
  steady::time_point paused_until() const;
  /// The client's pause, or the token's budget closed until then, whichever is later.
  steady::time_point blocked_until(steady::time_point now) const;
  /// The answer to an attempt sent at `sent_at`: a 429 (with the server's hint) or not.
  void on_answer(steady::time_point now, steady::time_point sent_at, bool refused, std::optional<ms> hint);
  rate_governor* governor() const noexcept { return governor_.get(); }

 private:
  // A mutex, not a strand: every call of the client reads and updates the pause
  // and the bucket from its own strand, for a few arithmetic operations.
  mutable std::mutex mu_;
  rate_limit_options rl_;
  ms spread_;
  std::shared_ptr<rate_governor> governor_;
  steady::time_point paused_until_{};
  double tokens_ = 0;
  steady::time_point refilled_{};
};

/// The governor of (host, token) in this process, made on first use and shared while
/// any client holds it. Keyed by a digest: the registry does not keep the token.
std::shared_ptr<rate_governor> governor_for(std::string_view host, std::string_view authorization);
/// SHA-256 of host and token, in hex: the token's key in a shared limiter.
std::string token_key(std::string_view host, std::string_view authorization);
/// Bytes in lower-case hex.
std::string hex(std::string_view bytes);

}  // namespace aiven::detail
