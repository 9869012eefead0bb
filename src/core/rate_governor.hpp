// The pace of one token's calls, learned from the API's 429s (docs/rate-limits.md).
//
// The API limits requests per token and says so only by refusing them. Two kinds of
// limiter answer that way and want opposite treatment:
//  - a rate (a leaky bucket): the budget refills continuously, and the best a client can
//    do is send at the refill rate, paced, never stop;
//  - a budget per window: once it is spent nothing passes until the window opens again
//    (the hint says when), and the next window's budget is best spent as soon as it opens.
// The governor tells them apart from the answers to the requests in flight when the
// first 429 arrives: under a rate some of them pass; under a spent window none does.
// Then it paces at a CUBIC-shaped rate around the last rate that drew a 429 (the shape
// AWS SDKs' adaptive retry uses), or spends a learned budget per learned period.
//
// Sans-io: time comes in as arguments; unit tests drive it with a fake clock, and one
// of them runs it against the simulator's limiters in virtual time. Thread-safe: the
// calls of every client sharing the token report to it from their own strands.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace aiven::detail {

struct governor_params {
  /// After a 429 the pace drops to this share of the rate that drew it.
  double beta = 0.8;
  /// Back at the rate that drew the last 429 this long after it (CUBIC's K), probing beyond after.
  std::chrono::milliseconds recovery{1000};
  /// After the first 429: new requests are held this long at most while the answers in
  /// flight tell a rate from a spent window.
  std::chrono::milliseconds probation{50};
  /// ... or longer, up to this, when the refused request's round trip was longer: the
  /// probe's answer must come back within the probation to tell anything.
  std::chrono::milliseconds max_probation{2000};
  /// During the probation one request goes this long after the first 429: if it passes
  /// (or any answer in flight does) the budget refills as a rate; if it is refused too,
  /// the budget is spent until the time the hints name.
  std::chrono::milliseconds probe_after{10};
  /// A first hint longer than this is taken at its word, without a probe (the API's
  /// "try again in 28s" is a spent budget; a probe would only draw another 429).
  std::chrono::milliseconds probe_max_hint{5000};
  /// A 429 with no hint: the budget is assumed back after this.
  std::chrono::milliseconds default_hint{1000};
  /// Paced: a 429 lowers the pace when at least this share (percent) of the last 64
  /// answers were 429s; fewer are strays, not a sign of going too fast.
  unsigned react_share_pct = 5;
  /// The longest window learned: the budget and the period are counted from the first
  /// admission of the last `max_period` at most (a service that ran below the limit for
  /// hours has not been in one window all that time).
  std::chrono::minutes max_period{10};
  /// A paced slot is reserved at most this far ahead; a caller whose slot would be
  /// later asks again then, at the pace of that moment. Without it, a pace learned
  /// too low (the first 429 read on a loaded machine) books every caller in flight
  /// seconds apart, and they keep those slots however fast the pace climbs back.
  std::chrono::milliseconds max_reservation{250};
};

/// When an attempt may go.
struct rate_admission {
  std::chrono::steady_clock::time_point at;
  /// True: `at` is this attempt's own slot (send then). False: the budget is closed until
  /// `at`, nothing was reserved; ask again then.
  bool reserved = true;
};

class rate_governor {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  enum class mode {
    free,       ///< no 429 seen: requests go as they come
    probation,  ///< a first 429: new requests wait while the answers in flight are read
    paced,      ///< a rate: requests are spaced at the learned rate
    window,     ///< a budget per period: spent as each period opens, nothing between
  };
  struct snapshot {
    mode m = mode::free;
    double rate = 0;            ///< requests per second (paced), or the pace within a window
    unsigned budget = 0;        ///< per period (window)
    std::chrono::milliseconds period{0};
    time_point closed_until{};  ///< nothing is sent before this
    std::uint64_t refusals = 0, reactions = 0;
  };

  explicit rate_governor(governor_params p = {}) : p_(p) {}

  /// Asks to send one attempt at `now`.
  rate_admission admit(time_point now);
  /// The answer to an attempt sent at `sent_at` was not a 429.
  void on_accepted(time_point now, time_point sent_at);
  /// The answer to an attempt sent at `sent_at` was a 429, with the server's wait if it gave one.
  void on_refused(time_point now, time_point sent_at, std::optional<std::chrono::milliseconds> hint);

  snapshot state(time_point now) const;
  /// A window just learned, once (for the limiter shared across processes to publish).
  struct learned_window {
    std::chrono::microseconds period, reopen_in, pace_interval;
  };
  std::optional<learned_window> take_learned(time_point now);
  /// Until when the budget is known to be closed to every request (the epoch if it is not):
  /// a call that cannot wait that long ends now, rather than after its next attempt.
  time_point closed_until(time_point now);

 private:
  using seconds_d = std::chrono::duration<double>;
  // Paced: the CUBIC curve since the last reaction; `sending`: the current send rate.
  double rate_at(time_point now, double sending) const;
  double send_rate(time_point now);      // admissions over the last 100 ms
  double accepted_rate(time_point now);  // answers that passed over the last second
  // A slot at `rate`, or (not reserved) when to ask again if it is beyond max_reservation.
  rate_admission pace(time_point now, double rate);
  void enter_paced(time_point now);
  void enter_window(time_point now);
  void start_window(time_point now);
  void shorten_period(time_point reopen);  // an in-window 429 whose hint ends before the period
  rate_admission admit_window(time_point now);
  time_point next_open() const { return (anchored_ ? window_anchor_ : window_start_) + period_; }
  rate_admission admit_locked(time_point now);

  mutable std::mutex mu_;
  governor_params p_;
  mode mode_ = mode::free;
  std::uint64_t refusals_ = 0, reactions_ = 0;
  std::deque<time_point> sends_;     // admissions of the last 100 ms
  std::deque<time_point> accepted_;  // answers that passed in the last second
  clock::duration rtt_{};  // the round trip of the last answer that passed
  void remember(bool refused);
  std::array<bool, 64> recent_{};  // the last answers: refused or not
  unsigned recent_count_ = 0, recent_refused_ = 0, recent_next_ = 0;

  // Before the first 429: what the budget allowed.
  time_point epoch_{};  // the first admission (free), or the window's start
  time_point epoch_answer_{};  // the first answer that passed after it
  bool epoch_set_ = false;
  unsigned accepted_in_epoch_ = 0, sent_in_epoch_ = 0;

  // Probation.
  time_point first_refusal_{}, refused_sent_{}, probation_until_{}, reopen_{};
  bool probe_sent_ = false;
  double rate_at_refusal_ = 0;

  // Paced.
  double w_max_ = 0;  // the rate that drew the last 429
  double last_rate_ = 0;
  bool slow_start_ = false;  // w_max_ is a guess: the pace doubles until a 429 places it  // the pace of the last admission (0: none since the last reaction)
  time_point last_reaction_{};
  time_point react_horizon_{};  // the last slot given before the last reaction
  time_point tat_{};  // GCRA's theoretical arrival time of the next request

  // Window.
  unsigned budget_ = 0;
  std::chrono::steady_clock::duration period_{};
  double window_pace_ = 0;
  time_point closed_until_{};
  bool window_open_ = false;
  unsigned windows_ = 0;  // opened since the budget was learned
  time_point window_start_{};  // its first admission
  bool anchored_ = false;
  time_point window_anchor_{};  // its first answer
  unsigned sent_in_window_ = 0, accepted_in_window_ = 0;
  bool refused_in_window_ = false;
  // Its budget spent, probes ask whether the window holds more (another process of the
  // token left its share unused): one at first, one more for each that passes (a slow
  // start: doubling every round trip); the budget grows by each that passes; the first
  // refused ends them for the window.
  unsigned probes_out_ = 0, probe_credit_ = 1;
  bool probe_refused_ = false;
  time_point probe_at_{};  // the first probe's slot
  bool learned_pending_ = false;
};

}  // namespace aiven::detail
