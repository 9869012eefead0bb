#include "core/rate_governor.hpp"

#include <algorithm>
#include <cmath>

namespace aiven::detail {

namespace {
constexpr double min_rate = 0.5;  // requests per second: the slowest pace the governor falls to
constexpr auto window_margin = std::chrono::milliseconds(2);
}

double rate_governor::send_rate(time_point now) {
  const auto horizon = now - std::chrono::milliseconds(100);
  while (!sends_.empty() && sends_.front() < horizon) sends_.pop_front();
  return static_cast<double>(sends_.size()) / 0.1;
}

double rate_governor::rate_at(time_point now, double sending) const {
  // CUBIC: w(t) = w_max + C (t - K)^3, with C chosen so that w(0) = beta * w_max: the
  // pace climbs back fast, flattens near the rate that drew the 429, then probes beyond.
  const double t = seconds_d(now - last_reaction_).count();
  if (slow_start_) {
    // The ceiling is only a guess (the pace when the first 429 came): double every
    // 100 ms until a 429 says where it is.
    const double w = p_.beta * w_max_ * std::exp2(std::min(t / 0.1, 60.0));
    return std::clamp(w, min_rate, std::max(p_.beta * w_max_, 2.0 * sending));
  }
  const double k = seconds_d(p_.recovery).count();
  const double c = w_max_ * (1.0 - p_.beta) / (k * k * k);
  const double w = w_max_ + c * (t - k) * (t - k) * (t - k);
  // Not far above what is being sent: after a quiet spell the pace starts near the last
  // ceiling and climbs with the demand, not from wherever the curve got to meanwhile.
  return std::clamp(w, min_rate, std::max(w_max_, 2.0 * sending));
}

rate_admission rate_governor::pace(time_point now, double rate) {
  // GCRA with a tolerance of one interval: a request after a quiet spell goes at once,
  // then they are spaced 1/rate apart.
  const auto interval = std::chrono::duration_cast<clock::duration>(seconds_d(1.0 / std::max(rate, min_rate)));
  if (tat_ < now) tat_ = now;
  const time_point at = std::max(now, tat_ - interval);
  if (at > now + p_.max_reservation) return {now + p_.max_reservation, false};
  tat_ += interval;
  sends_.push_back(at);
  return {at, true};
}

void rate_governor::enter_paced(time_point now) {
  mode_ = mode::paced;
  w_max_ = std::max(rate_at_refusal_, min_rate);
  slow_start_ = true;
  last_reaction_ = now;
  last_rate_ = 0;
  react_horizon_ = now;  // 429s to requests sent before this were already counted
  ++reactions_;
  tat_ = now;
}

void rate_governor::enter_window(time_point now) {
  ++reactions_;
  if (accepted_in_epoch_ == 0) {
    // Refused before anything passed: no budget to learn. Closed until the hint,
    // then free again, learning afresh.
    mode_ = mode::free;
    closed_until_ = std::max(reopen_, now);
    epoch_set_ = false;
    return;
  }
  mode_ = mode::window;
  windows_ = 0;
  budget_ = std::max(1u, accepted_in_epoch_);
  // The server's window began when the first request reached it: after the first
  // admission (connections were still being opened), before the first answer. From the
  // first answer the period comes out a little short rather than long (a long one would
  // slip every window by the connection setup), and each window is anchored on its own
  // first answer too; the margin keeps the next window's first request from arriving early.
  period_ = std::max<clock::duration>(reopen_ - epoch_answer_ + window_margin, std::chrono::milliseconds(1));
  // The window's budget went out at this rate before: send the next one as fast, paced
  // rather than all at the instant it opens.
  const double spent_in = std::max(seconds_d(first_refusal_ - epoch_).count(), 1e-3);
  window_pace_ = std::max(static_cast<double>(budget_) / spent_in, min_rate);
  closed_until_ = std::max(reopen_, now);
  window_open_ = false;
  learned_pending_ = true;
}

std::optional<rate_governor::learned_window> rate_governor::take_learned(time_point now) {
  std::lock_guard lk(mu_);
  if (mode_ == mode::probation && now >= probation_until_) enter_window(now);
  if (!learned_pending_ || mode_ != mode::window) return std::nullopt;
  learned_pending_ = false;
  using us = std::chrono::microseconds;
  return learned_window{std::chrono::duration_cast<us>(period_),
                        std::chrono::duration_cast<us>(std::max(closed_until_ - now, clock::duration::zero())),
                        std::chrono::duration_cast<us>(seconds_d(1.0 / window_pace_))};
}

void rate_governor::start_window(time_point now) {
  window_open_ = true;
  probes_out_ = 0;
  probe_credit_ = 1;
  probe_refused_ = false;
  anchored_ = false;
  ++windows_;
  window_start_ = now;
  sent_in_window_ = 0;
  accepted_in_window_ = 0;
  refused_in_window_ = false;
  tat_ = now;
}

rate_admission rate_governor::admit(time_point now) {
  std::lock_guard lk(mu_);
  return admit_locked(now);
}

rate_admission rate_governor::admit_locked(time_point now) {
  const double sending = send_rate(now);
  switch (mode_) {
    case mode::free:
      if (now < closed_until_) return {closed_until_, false};
      if (!epoch_set_ || now - epoch_ > p_.max_period) {
        epoch_ = now;
        epoch_set_ = true;
        accepted_in_epoch_ = 0;
        sent_in_epoch_ = 0;
      }
      ++sent_in_epoch_;
      sends_.push_back(now);
      return {now, true};
    case mode::probation:
      if (now < probation_until_) {
        const auto probe_at = first_refusal_ + p_.probe_after;
        if (probe_sent_ || now < probe_at) return {probe_sent_ ? probation_until_ : probe_at, false};
        probe_sent_ = true;
        sends_.push_back(now);
        return {now, true};
      }
      // Nothing passed and nothing more was refused (a lone caller waiting out its
      // hint, say): take the hint at its word, the budget is back when it says.
      enter_window(now);
      return admit_locked(now);
    case mode::paced: {
      // What passed over the last second bounds the cap from below: callers parked on
      // their hints lower the sending for a moment, not what the API takes.
      last_rate_ = rate_at(now, std::max(sending, accepted_rate(now)));
      return pace(now, last_rate_);
    }
    case mode::window:
      return admit_window(now);
  }
  return {now, true};
}

rate_admission rate_governor::admit_window(time_point now) {
  if (now < closed_until_) return {closed_until_, false};
  if (!window_open_ || now >= next_open()) start_window(now);
  const bool probe = sent_in_window_ >= budget_;
  if (probe && (probes_out_ >= probe_credit_ || probe_refused_)) {
    // Spent: closed until the period opens again (from the window's first answer, once
    // it has come; from its first admission until then, and pushed back when it comes).
    // While probes are out it may open again: callers come back when their answers are
    // due, and it is not marked closed (a caller parked until the next period would hold
    // its request that long, though the probes found room for it).
    if (probes_out_ > 0 && !probe_refused_)
      return {std::min(next_open(), now + std::max<clock::duration>(rtt_, std::chrono::milliseconds(1))), false};
    closed_until_ = next_open();
    return {closed_until_, false};
  }
  const auto slot = pace(now, window_pace_);
  if (!slot.reserved) return slot;
  ++sent_in_window_;
  if (probe && probes_out_++ == 0 && probe_credit_ == 1) probe_at_ = slot.at;
  return slot;
}

double rate_governor::accepted_rate(time_point now) {
  const auto horizon = now - std::chrono::seconds(1);
  while (!accepted_.empty() && accepted_.front() < horizon) accepted_.pop_front();
  return static_cast<double>(accepted_.size());
}

void rate_governor::on_accepted(time_point now, time_point sent_at) {
  std::lock_guard lk(mu_);
  accepted_rate(now);
  accepted_.push_back(now);
  if (now > sent_at) rtt_ = now - sent_at;
  remember(false);
  switch (mode_) {
    case mode::free:
      if (sent_at >= epoch_ && accepted_in_epoch_++ == 0) epoch_answer_ = now;
      break;
    case mode::probation:
      // A request sent after the refused one passed: the budget refills as a rate; unless
      // its answer came after the time the hints name (a slow round trip stretches the
      // probation): a window that reopened would have passed it too. One sent before the
      // refused one was counted before the budget ran out: part of the budget.
      if (sent_at > refused_sent_) {
        if (now < reopen_) enter_paced(now);
      } else if (sent_at >= epoch_ && accepted_in_epoch_++ == 0)
        epoch_answer_ = now;
      break;
    case mode::paced:
      break;
    case mode::window:
      if (windows_ == 0 && sent_at >= epoch_ && sent_at <= refused_sent_) {
        // The first budget's last answers, come after it was learned: part of it.
        budget_ = std::max(budget_, ++accepted_in_epoch_);
      } else if (windows_ > 0 && sent_at >= window_start_) {
        ++accepted_in_window_;
        if (probes_out_ > 0 && sent_at >= probe_at_) {
          --probes_out_;
          ++probe_credit_;
          ++budget_;  // the window held one more: the next probes may go now
          if (window_open_) closed_until_ = {};
        }
        if (refused_in_window_) budget_ = std::max(budget_, accepted_in_window_);
        if (!anchored_) {
          anchored_ = true;
          window_anchor_ = now;
          if (closed_until_ > window_start_) closed_until_ = std::max(closed_until_, now + period_);
        }
      }
      break;
  }
}

void rate_governor::remember(bool refused) {
  if (recent_count_ == recent_.size()) {
    recent_refused_ -= recent_[recent_next_] ? 1 : 0;
  } else {
    ++recent_count_;
  }
  recent_[recent_next_] = refused;
  recent_refused_ += refused ? 1 : 0;
  recent_next_ = (recent_next_ + 1) % recent_.size();
}

void rate_governor::on_refused(time_point now, time_point sent_at, std::optional<std::chrono::milliseconds> hint) {
  std::lock_guard lk(mu_);
  ++refusals_;
  remember(true);
  const auto reopen = now + (hint ? *hint : p_.default_hint);
  switch (mode_) {
    case mode::free:
      if (sent_at < closed_until_) break;  // sent before the close it is part of
      mode_ = mode::probation;
      first_refusal_ = now;
      refused_sent_ = sent_at;
      // Long enough for the probe's answer to come back: a round trip is as long as
      // this one took (on a loaded machine or a far network, longer than `probation`).
      probation_until_ = now + std::clamp<clock::duration>(p_.probe_after + 2 * (now - sent_at), p_.probation,
                                                           p_.max_probation);
      reopen_ = reopen;
      probe_sent_ = hint && *hint > p_.probe_max_hint;  // no probe: the hint stands
      // The pace that drew it: over the last 100 ms, or since the first admission when
      // the answer came later than that (a loaded machine, a slow network).
      rate_at_refusal_ = send_rate(now);
      if (epoch_set_)
        rate_at_refusal_ = std::max(rate_at_refusal_, static_cast<double>(sent_in_epoch_) /
                                                          std::max(seconds_d(now - epoch_).count(), 0.1));
      break;
    case mode::probation:
      // A hint rounded up to whole seconds is at or after the true reopening: the
      // earliest of them is the closest.
      reopen_ = std::min(reopen_, reopen);
      if (sent_at >= first_refusal_) enter_window(now);  // the probe was refused too
      break;
    case mode::paced:
      // Slots given before the last reaction go out at the old pace: their 429s say nothing new.
      if (sent_at <= react_horizon_) break;
      // Nor does a stray 429 among many that passed: only a share of them says "too fast"
      // (under a limit, going 6 % too fast draws 6 % of 429s; stray ones stay below).
      if (recent_refused_ < std::max(1u, (recent_count_ * p_.react_share_pct + 99) / 100)) break;
      // Too fast: the rate that drew this 429 is the new ceiling, the pace drops below it;
      // but not below what the API accepted over the last second (a stray 429 among
      // many answers that passed does not halve the pace, again and again).
      w_max_ = std::max({rate_at(now, send_rate(now)), accepted_rate(now), min_rate});
      slow_start_ = false;
      last_reaction_ = now;
      last_rate_ = 0;
      react_horizon_ = std::max(now, tat_);
      ++reactions_;
      break;
    case mode::window:
      if (!window_open_ || sent_at < window_start_) {
        // Sent before this window opened (the answers of the first spent budget still
        // arriving): a tighter bound on the reopening, when it is one.
        if (now < closed_until_ && reopen > now) closed_until_ = std::min(closed_until_, reopen);
        break;
      }
      if (probes_out_ > 0 && sent_at >= probe_at_) {
        // A probe was refused: the window is spent. Hints in whole seconds come late;
        // one that comes before the period's end says the period is shorter.
        --probes_out_;
        probe_refused_ = true;
        shorten_period(reopen);
        closed_until_ = anchored_ ? next_open() : std::max(closed_until_, reopen);
        break;
      }
      ++reactions_;
      refused_in_window_ = true;
      if (anchored_) {
        // Something passed in this window, so it is open, and it ends when the period
        // does: the budget is smaller than learned (another client of the token spends
        // it too). The late answers of this window raise it back to what passed.
        budget_ = std::max(1u, accepted_in_window_);
        shorten_period(reopen);
        closed_until_ = std::max(closed_until_, std::min(reopen, next_open()));
      } else {
        // Refused before anything passed: the window opens later than predicted.
        period_ = std::max(period_, std::chrono::duration_cast<clock::duration>(reopen - window_start_ + window_margin));
        closed_until_ = std::max(closed_until_, reopen);
      }
      window_open_ = false;
      break;
  }
}

void rate_governor::shorten_period(time_point reopen) {
  // A whole-second hint is late, never early: one that says the window reopens before the
  // period would end says the period is shorter. Measured from the window's first
  // admission, not its first answer: the server's window began between the two, and from
  // the answer the period would come out short by that lag, the next window would open
  // before the server's and its first requests be refused.
  const auto candidate = reopen - window_start_ + window_margin;
  if (candidate < period_) period_ = std::max<clock::duration>(candidate, std::chrono::milliseconds(1));
}

rate_governor::time_point rate_governor::closed_until(time_point now) {
  std::lock_guard lk(mu_);
  if (mode_ == mode::probation && now >= probation_until_) enter_window(now);
  if (mode_ == mode::probation || mode_ == mode::paced) return {};
  return closed_until_ > now ? closed_until_ : time_point{};
}

rate_governor::snapshot rate_governor::state(time_point now) const {
  std::lock_guard lk(mu_);
  snapshot s;
  s.m = mode_;
  s.refusals = refusals_;
  s.reactions = reactions_;
  s.closed_until = mode_ == mode::probation ? probation_until_ : closed_until_;
  if (mode_ == mode::paced) s.rate = last_rate_ > 0 ? last_rate_ : rate_at(std::max(now, last_reaction_), 0);
  if (mode_ == mode::window) {
    s.rate = window_pace_;
    s.budget = budget_;
    s.period = std::chrono::duration_cast<std::chrono::milliseconds>(period_);
  }
  return s;
}

}  // namespace aiven::detail
