// The call loop's decisions as a pure object (sans-io, in the manner of
// Boost.MySQL's next_action and Boost.Redis's exec_fsm): the driver in call.cpp
// does what next_action says (ask admission, acquire a connection, open it,
// exchange the request, wait) and reports each outcome as an event; the
// machine answers with the next action. Nothing here touches a socket, a timer
// or the clock: time comes in with the events, so unit tests drive it event by
// event.
#pragma once

#include "core/retry.hpp"

#include <aiven/client.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aiven::detail {

using call_clock = std::chrono::steady_clock;

/// How much of the request reached the socket before the exchange failed.
enum class write_state { none, partial, complete };

/// What a response means for the call: the one place where a status becomes an
/// error code and the server's wait hint is read.
struct response_class {
  error_code ec;                  // empty for 2xx
  std::optional<ms> retry_after;  // 429/503: Retry-After, else "try again in" of the message, then of errors[]
  bool may_have_executed = true;  // false when the server says it refused the request (429)
};

/// `retry_after`: the Retry-After header's value, or null. `d`: the error body
/// already parsed into message and errors (parse_error_body).
response_class classify_response(unsigned status, const std::string* retry_after, const diagnostics& d,
                                 std::chrono::system_clock::time_point now);

/// The longest shared pause a server hint can impose (longer hints are clamped to it).
inline constexpr ms max_pause = std::chrono::hours(24);

struct next_action {
  enum kind_t {
    admit,     // ask the client's admission (shared 429 pause, token bucket) when this attempt may go
    acquire,   // take a pool slot (maybe with an idle connection)
    open,      // open a fresh connection in the slot (dropping the one it holds, if any)
    exchange,  // write the request on the connection and read the response
    wait,      // sleep until `until` (backoff, admission), then report waited()
    done,      // the call ends with `ec` (empty: success); `why` explains a failure
  } kind = done;
  call_clock::time_point until{};
  error_code ec;
  std::string_view why;  // static text, to be appended to the call's client_message
};

/// The outcome of one exchange, as the driver saw it.
struct exchange_event {
  error_code ec;  // transport failure; empty when a response arrived
  write_state written = write_state::none;
  bool response_started = false;  // some byte of a response arrived
  bool reused = false;            // the connection had served an earlier request
  response_class response;        // when !ec: the classified response
};

class call_fsm {
 public:
  call_fsm(const retry_options& retry, bool idempotent, call_clock::time_point deadline, std::uint64_t seed)
      : retry_(retry, idempotent, seed), idempotent_(idempotent), deadline_(deadline) {}

  /// The first action (always admit).
  next_action start() { return {next_action::admit}; }

  /// Admission said the attempt may go at `allowed_at`; `paused_until` is the
  /// client's shared 429 pause (the rest of a later allowed_at is the token bucket).
  /// `reserved` false: nothing was reserved, the token's budget is closed until
  /// `allowed_at`; the machine waits and asks admission again.
  next_action admitted(call_clock::time_point now, call_clock::time_point allowed_at, bool cancelled,
                       call_clock::time_point paused_until = {}, bool reserved = true);
  /// A wait asked for by the machine ended (`cancelled`: the caller cancelled it).
  next_action waited(bool cancelled);
  /// The pool answered: `ec` (timeout, aborted) or a slot, with an idle connection or none.
  next_action acquired(error_code ec, bool has_connection, bool cancelled);
  /// Opening (resolve, connect, proxy tunnel, TLS) ended; `permanent`: a failure that
  /// another attempt cannot fix (certificate verification).
  next_action opened(error_code ec, bool permanent, bool cancelled, call_clock::time_point now,
                     call_clock::time_point paused_until);
  /// The exchange ended. `paused_until`: the client's shared pause, after any
  /// pause this response asked for was recorded (see pause_to_record).
  next_action exchanged(const exchange_event& e, bool cancelled, call_clock::time_point now,
                        call_clock::time_point paused_until);

  /// After exchanged(): the shared pause a 429 asks for (every call of the client
  /// waits until then), to be recorded before anything else. Clamped to max_pause.
  static std::optional<call_clock::time_point> pause_for(const exchange_event& e, call_clock::time_point now);

  /// After a final failure (exchanged() returned done): the read of a resource this
  /// client just created may not be visible yet; wait `delay` and try again, unless
  /// that passes the deadline (then the call ends as it would have).
  next_action settle(call_clock::time_point now, ms delay);
  /// Attempts counted so far (an attempt counts from the moment it asks for a connection).
  unsigned attempts() const noexcept { return attempts_; }
  /// The last action returned goes on with the call (for on_attempt's will_retry).
  bool will_retry() const noexcept { return going_on_; }
  /// The request was re-sent on a fresh connection after a reused one failed before answering.
  bool stale_resend() const noexcept { return stale_resend_; }
  /// Attempts the retry policy made after the first (stale re-sends excluded).
  unsigned retries() const noexcept { return retries_; }
  error_code last_error() const noexcept { return last_ec_; }

  call_clock::time_point deadline() const noexcept { return deadline_; }
  /// A shared request (single-flight) lives as long as its longest-waiting participant.
  void extend_deadline(call_clock::time_point d) noexcept {
    if (d > deadline_) deadline_ = d;
  }

 private:
  next_action finish(error_code ec, std::string_view why = {});
  next_action retry_after_failure(const attempt_result& r, call_clock::time_point now,
                                  call_clock::time_point paused_until);

  retry_state retry_;
  bool idempotent_;
  call_clock::time_point deadline_;
  unsigned attempts_ = 0;
  unsigned retries_ = 0;
  bool going_on_ = true;
  bool stale_resend_ = false;
  bool after_backoff_ = false;  // the pending wait is a backoff (then admission), not admission itself
  error_code last_ec_;
};

}  // namespace aiven::detail
