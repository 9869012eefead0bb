// The rate governor on a fake clock: its states one event at a time, then whole runs of
// closed-loop callers against the simulator's own limiters (src/sim/rate_limit.hpp) in
// virtual time, with the goals of docs/rate-limits.md as assertions.
#include "core/rate_governor.hpp"
#include "sim/rate_limit.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <queue>
#include <vector>

using namespace std::chrono_literals;
using aiven::detail::governor_params;
using aiven::detail::rate_governor;
using mode = rate_governor::mode;
using tp = rate_governor::time_point;

namespace {

const tp t0 = tp{} + std::chrono::hours(1000);

// Closed-loop callers against a server limiter, in virtual time: each caller asks the
// governor, sends, gets the answer `latency` later, and on a 429 waits the hint and
// sends the same request again; no request is ever dropped.
struct run_result {
  double wall_s = 0;
  std::uint64_t accepted = 0, refused = 0;
  double refused_share() const { return static_cast<double>(refused) / static_cast<double>(accepted + refused); }
};

struct virtual_run {
  struct limiter_group {
    std::shared_ptr<rate_governor> gov;
  };
  aiven::sim::rate_limit_options server;
  unsigned callers = 64;
  unsigned groups = 1;  // processes: each its own governor (shared_governor: one for all)
  bool shared_governor = false;
  unsigned requests = 5000;
  std::chrono::microseconds latency{1000};
  std::chrono::microseconds client_cost{20};  // per request, between answer and next admission
  // Each caller's first request goes this long after its admission (a connection to
  // open and a TLS handshake): the server sees the budget start after the client did.
  std::chrono::microseconds first_setup{60'000};
  unsigned stray_every = 0;  // also refuse every Nth request ("try again in 1s"), limit or not
  bool governed = true;      // false: every request goes at once (the baseline)

  run_result go(governor_params p = {}) {
    aiven::sim::detail::rate_limiter srv;
    srv.configure(server);
    std::vector<std::shared_ptr<rate_governor>> govs;
    for (unsigned g = 0; g < groups; ++g)
      govs.push_back(shared_governor && g > 0 ? govs[0] : std::make_shared<rate_governor>(p));
    struct event {
      tp at;
      std::uint64_t seq;
      std::function<void()> f;
      bool operator>(const event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    std::priority_queue<event, std::vector<event>, std::greater<>> q;
    std::uint64_t seq = 0;
    auto schedule = [&](tp at, std::function<void()> f) { q.push(event{at, seq++, std::move(f)}); };
    unsigned left = requests;
    std::uint64_t received = 0;
    run_result r;
    tp last = t0;
    std::function<void(unsigned, tp)> ask;
    std::vector<bool> connected(callers);
    ask = [&](unsigned caller, tp now) {
      auto& gov = *govs[caller % groups];
      auto adm = governed ? gov.admit(now) : aiven::detail::rate_admission{now, true};
      if (!adm.reserved) {
        schedule(adm.at, [&, caller, at = adm.at] { ask(caller, at); });
        return;
      }
      const tp sent = adm.at;
      const auto setup = connected[caller] ? std::chrono::microseconds(0) : first_setup;
      connected[caller] = true;
      schedule(sent + setup + latency / 2, [&, caller, sent, setup] {
        const tp at_server = sent + setup + latency / 2;
        auto wait = srv.admit("token", at_server);
        if (stray_every && ++received % stray_every == 0) wait = 1;
        const tp answered = at_server + latency / 2;
        schedule(answered, [&, caller, sent, wait, answered] {
          auto& g = *govs[caller % groups];
          if (wait) {
            ++r.refused;
            if (governed) g.on_refused(answered, sent, std::chrono::seconds(*wait));
            schedule(answered + std::chrono::seconds(*wait), [&, caller, answered, wait] {
              ask(caller, answered + std::chrono::seconds(*wait));
            });
            return;
          }
          ++r.accepted;
          if (governed) g.on_accepted(answered, sent);
          last = std::max(last, answered);
          if (left == 0) return;
          --left;
          schedule(answered + client_cost, [&, caller, answered] { ask(caller, answered + client_cost); });
        });
      });
    };
    for (unsigned c = 0; c < callers && left > 0; ++c, --left) schedule(t0, [&, c] { ask(c, t0); });
    while (!q.empty()) {
      auto e = q.top();
      q.pop();
      e.f();
    }
    r.wall_s = std::chrono::duration<double>(last - t0).count();
    return r;
  }
};

// Ten of twenty requests pass at t0 + 1 ms, then 429s and a refused probe with `hint`:
// a spent window of 10, closed until t0 + 2 ms + hint.
void spend_first_window(rate_governor& g, std::chrono::milliseconds hint) {
  const governor_params p;
  for (int i = 0; i < 20; ++i) g.admit(t0);
  for (int i = 0; i < 10; ++i) g.on_accepted(t0 + 1ms, t0);
  for (unsigned i = 0; i < 10; ++i) g.on_refused(t0 + 2ms, t0, hint);
  REQUIRE(g.admit(t0 + 2ms + p.probe_after).reserved);
  g.on_refused(t0 + 3ms + p.probe_after, t0 + 2ms + p.probe_after, hint);
}

}  // namespace

TEST_SUITE("rate_governor") {
  TEST_CASE("no 429 seen: every request goes at once") {
    rate_governor g;
    for (int i = 0; i < 100; ++i) {
      auto a = g.admit(t0);
      CHECK(a.reserved);
      CHECK(a.at == t0);
    }
    CHECK(g.state(t0).m == mode::free);
  }

  TEST_CASE("a first 429 holds new requests while the answers in flight are read") {
    governor_params p;
    rate_governor g(p);
    for (int i = 0; i < 10; ++i) g.admit(t0);
    g.on_refused(t0 + 1ms, t0, 1s);
    CHECK(g.state(t0 + 1ms).m == mode::probation);
    auto a = g.admit(t0 + 2ms);
    CHECK_FALSE(a.reserved);
    CHECK(a.at == t0 + 1ms + p.probe_after);  // one probe then
    auto probe = g.admit(a.at);
    CHECK(probe.reserved);
    auto b = g.admit(a.at);  // the others wait for the probation's end
    CHECK_FALSE(b.reserved);
    CHECK(b.at == t0 + 1ms + p.probation);
  }

  TEST_CASE("an answer in flight that passes after the 429 means a rate: paced below the rate that drew it") {
    rate_governor g;
    // 50 requests in 10 ms: 500 per 100 ms, i.e. 5000 per second as the governor counts.
    for (int i = 0; i < 50; ++i) g.admit(t0 + std::chrono::microseconds(200 * i));
    g.on_refused(t0 + 11ms, t0 + 9ms, 1s);
    g.on_accepted(t0 + 11500us, t0 + 9800us);
    auto s = g.state(t0 + 11500us);
    REQUIRE(s.m == mode::paced);
    CHECK(s.rate == doctest::Approx(0.8 * 500).epsilon(0.01));
    // Paced: consecutive admissions are 1/rate apart after the first.
    auto a = g.admit(t0 + 12ms), b = g.admit(t0 + 12ms), c = g.admit(t0 + 12ms);
    CHECK(a.reserved);
    CHECK(b.at - a.at <= 3ms);
    CHECK(std::chrono::duration<double>(c.at - b.at).count() == doctest::Approx(1.0 / 400).epsilon(0.001));
  }

  TEST_CASE("a pace learned from a late first 429 is the rate since the first admission; no slot is booked past max_reservation") {
    rate_governor g;
    for (int i = 0; i < 100; ++i) CHECK(g.admit(t0 + std::chrono::milliseconds(i)).at == t0 + std::chrono::milliseconds(i));
    // 100 requests in 100 ms, the first 429 answered 300 ms after the first send.
    g.on_refused(t0 + 300ms, t0 + 50ms, 1s);
    g.on_accepted(t0 + 301ms, t0 + 99ms + 1us);  // sent after the refused one: a rate
    REQUIRE(g.state(t0 + 301ms).m == mode::paced);
    const tp now = t0 + 302ms;
    std::vector<aiven::detail::rate_admission> got;
    for (int i = 0; i < 400; ++i) got.push_back(g.admit(now));
    unsigned reserved = 0;
    for (auto& a : got) {
      CHECK(a.at <= now + governor_params{}.max_reservation);
      reserved += a.reserved ? 1 : 0;
    }
    // About 300 r/s x 0.8 (beta) over 250 ms: dozens booked, not one per 2 s.
    CHECK(reserved >= 30);
    CHECK(reserved < 400);
  }

  TEST_CASE("a 429 to a request sent before the last reaction is not a new signal") {
    rate_governor g;
    for (int i = 0; i < 50; ++i) g.admit(t0 + std::chrono::microseconds(200 * i));
    g.on_refused(t0 + 11ms, t0 + 9ms, 1s);
    g.on_accepted(t0 + 11500us, t0 + 9800us);
    const auto before = g.state(t0 + 12ms);
    g.on_refused(t0 + 12ms, t0 + 9900us, 1s);  // sent before the reaction at 11.5 ms
    CHECK(g.state(t0 + 12ms).reactions == before.reactions);
    g.on_refused(t0 + 13ms, t0 + 12ms, 1s);  // sent after it: the pace drops again
    CHECK(g.state(t0 + 13ms).reactions == before.reactions + 1);
    CHECK(g.state(t0 + 13ms).rate < before.rate);
  }

  TEST_CASE("the paced rate climbs back to the last ceiling after `recovery`, then probes beyond") {
    governor_params p;
    rate_governor g(p);
    for (int i = 0; i < 50; ++i) g.admit(t0 + std::chrono::microseconds(200 * i));
    g.on_refused(t0 + 11ms, t0 + 9ms, 1s);
    g.on_accepted(t0 + 11ms, t0 + 9800us);
    // Slow start from 400: doubling per 100 ms, until 429s (at least 5 % of the last
    // answers) place the ceiling.
    auto now = t0 + 11ms;
    tp last{};
    while (now < t0 + 111ms) {
      auto a = g.admit(now);
      last = a.at;
      now = std::max(now, a.at);
    }
    CHECK(g.state(now).rate == doctest::Approx(800).epsilon(0.05));
    const double ceiling = g.state(now).rate;  // the pace that draws the 429s
    for (int i = 0; i < 4; ++i) g.on_refused(now, last, 1s);
    CHECK(g.state(now).rate == doctest::Approx(0.8 * ceiling).epsilon(0.02));
    REQUIRE(g.state(now).reactions == 2);
    const auto reacted = now;
    // Keep sending at the pace so the climb is not capped by a low demand.
    double at_half = 0, at_k = 0, beyond = 0;
    while (now < reacted + 2 * p.recovery) {
      auto a = g.admit(now);
      now = std::max(now, a.at);
      const auto since = now - reacted;
      if (!at_half && since >= p.recovery / 2) at_half = g.state(now).rate;
      if (!at_k && since >= p.recovery) at_k = g.state(now).rate;
      if (!beyond && since >= p.recovery * 3 / 2) beyond = g.state(now).rate;
    }
    CHECK(at_half > 0.95 * ceiling);  // concave: most of the way back by half time
    CHECK(at_half < ceiling);
    CHECK(at_k == doctest::Approx(ceiling).epsilon(0.02));
    CHECK(beyond > ceiling);
  }

  TEST_CASE("429s in a row with none passing mean a spent window: closed until the earliest reopening") {
    governor_params p;
    rate_governor g(p);
    for (int i = 0; i < 264; ++i) g.admit(t0 + std::chrono::microseconds(150 * i));
    for (int i = 0; i < 200; ++i) g.on_accepted(t0 + 1ms + std::chrono::microseconds(150 * i), t0 + std::chrono::microseconds(150 * i));
    const tp first = t0 + 31ms;
    // Whole-second hints: "2s" at 31 ms says "before 2.031 s"; the true reopening is at 2 s.
    for (unsigned i = 0; i < 12; ++i) g.on_refused(first + i * 100us, first - 1ms, 2s);
    REQUIRE(g.admit(first + p.probe_after).reserved);  // the probe
    g.on_refused(first + p.probe_after + 1ms, first + p.probe_after, 2s);
    auto s = g.state(first + 2ms);
    REQUIRE(s.m == mode::window);
    CHECK(s.budget == 200);
    CHECK(s.closed_until == first + 2s);
    // The period runs from the first answer (t0 + 1 ms; the server's window began before
    // it), with a margin of 2 ms.
    CHECK(s.period == std::chrono::duration_cast<std::chrono::milliseconds>(first + 2s - (t0 + 1ms) + 2ms));
    // Closed: nothing is reserved before the reopening.
    auto a = g.admit(first + 10ms);
    CHECK_FALSE(a.reserved);
    CHECK(a.at == first + 2s);
    // Then the budget goes out, paced, and the next admission waits for the next period.
    tp now = first + 2s;
    tp last_slot{};
    for (int i = 0; i < 200; ++i) {
      auto b = g.admit(now);
      REQUIRE(b.reserved);
      last_slot = b.at;
    }
    CHECK(last_slot > now);                  // paced, not all at the instant it opened
    CHECK(last_slot - now < 100ms);          // at the pace the first budget went out
    // Spent: one probe asks whether the window holds more; while it is out, nothing else:
    // the others ask again when its answer is due (a round trip: 1 ms here), not after the period.
    auto probe = g.admit(now + 1ms);
    REQUIRE(probe.reserved);
    auto c = g.admit(now + 1ms);
    CHECK_FALSE(c.reserved);
    CHECK(c.at == now + 2ms);
    auto e = g.admit(now + 1500us);  // nor is the next caller turned away until the period's end
    CHECK_FALSE(e.reserved);
    CHECK(e.at == now + 2500us);
    // It passes: the budget is one higher and the next probe may go at once.
    g.on_accepted(probe.at + 1ms, probe.at);
    CHECK(g.state(probe.at + 1ms).budget == 201);
    auto probe2 = g.admit(probe.at + 1ms);
    REQUIRE(probe2.reserved);
    // It is refused with a whole-second hint that ends after the period: the window is
    // spent until the period's end, from its first answer (the first probe's).
    g.on_refused(probe2.at + 1ms, probe2.at, 3s);
    auto d = g.admit(probe2.at + 1ms);
    CHECK_FALSE(d.reserved);
    CHECK(d.at == probe.at + 1ms + s.period);
    CHECK(g.state(probe2.at + 1ms).budget == 201);
  }

  TEST_CASE("in a window, a refused probe with an earlier hint shortens the period") {
    governor_params p;
    rate_governor g(p);
    spend_first_window(g, 3s);
    const auto period = g.state(t0 + 20ms).period;
    REQUIRE(period == 3003ms);  // t0 + 2 ms + 3 s - the first answer (t0 + 1 ms) + 2 ms
    const tp open = t0 + 2ms + 3s;
    for (int i = 0; i < 10; ++i) REQUIRE(g.admit(open).reserved);
    g.on_accepted(open + 1ms, open);  // the window's first answer: its anchor
    auto probe = g.admit(open + 1ms);
    REQUIRE(probe.reserved);
    g.on_refused(probe.at + 1ms, probe.at, 1s);  // "try again in 1s": sooner than the period says
    // Measured from the window's first admission (`open`): the server's window began
    // after it, so the period is not short; the next opens from the anchor (open + 1 ms).
    CHECK(g.state(probe.at + 1ms).period ==
          std::chrono::duration_cast<std::chrono::milliseconds>(probe.at + 1ms + 1s - open + 2ms));
    CHECK(g.admit(probe.at + 2ms).at == probe.at + 1s + 4ms);
  }

  TEST_CASE("in a window, a 429 to a request of its budget with an earlier hint shortens the period too") {
    governor_params p;
    rate_governor g(p);
    spend_first_window(g, 3s);
    REQUIRE(g.state(t0 + 20ms).period == 3003ms);
    const tp open = t0 + 2ms + 3s;
    for (int i = 0; i < 10; ++i) REQUIRE(g.admit(open).reserved);
    for (int i = 0; i < 6; ++i) g.on_accepted(open + 1ms, open);
    g.on_refused(open + 2ms, open, 1s);  // within the budget, and "1s": the period is shorter
    CHECK(g.state(open + 2ms).period == 1004ms);  // open + 2 ms + 1 s - open (its first admission) + 2 ms
    CHECK(g.state(open + 2ms).closed_until == open + 2ms + 1s);
  }

  TEST_CASE("in a window, a 429 to a request of this window shrinks the budget to what passed") {
    governor_params p;
    rate_governor g(p);
    spend_first_window(g, 1s);
    REQUIRE(g.state(t0 + 2ms).budget == 10);
    const tp open = t0 + 2ms + 1s;
    for (int i = 0; i < 10; ++i) REQUIRE(g.admit(open).reserved);
    for (int i = 0; i < 6; ++i) g.on_accepted(open + 1ms, open);
    g.on_refused(open + 2ms, open, 1s);  // another client of the token spent the rest
    auto s = g.state(open + 2ms);
    CHECK(s.budget == 6);
    CHECK(s.closed_until == open + 2ms + 1s);
  }

  TEST_CASE("after a long spell under the limit, the window is learned from the last max_period, not from the start") {
    governor_params p;
    rate_governor g(p);
    // An hour of calls well under the limit, one a second.
    for (int i = 0; i < 3600; ++i) {
      const tp at = t0 + std::chrono::seconds(i);
      REQUIRE(g.admit(at).reserved);
      g.on_accepted(at + 1ms, at);
    }
    // Then a burst spends a window of 20 and draws 429s.
    const tp burst = t0 + 3600s;
    for (int i = 0; i < 30; ++i) g.admit(burst);
    for (int i = 0; i < 20; ++i) g.on_accepted(burst + 1ms, burst);
    for (int i = 0; i < 10; ++i) g.on_refused(burst + 2ms, burst, 30s);  // a long hint: no probe
    g.closed_until(burst + 2ms + p.probation);  // the probation ends: a spent window
    auto s = g.state(burst + 2ms + p.probation);
    REQUIRE(s.m == mode::window);
    CHECK(s.period <= std::chrono::minutes(10) + 31s);  // not the hour since the first call
    CHECK(s.budget <= 20 + 600);                        // counted over the last ten minutes at most
  }

  TEST_CASE("a slow round trip: a probe that passes after the hint's reopening does not make a window a rate") {
    // Refused 400 ms after it was sent (connections, a loaded machine): the probation
    // lasts long enough for the probe's answer, longer than the window may have left.
    // Returns the mode once the probe, sent at 410 ms, passed at 600 ms.
    auto probe_passes = [](std::chrono::milliseconds hint, rate_governor& g) {
      governor_params p;
      for (int i = 0; i < 20; ++i) g.admit(t0);
      for (int i = 0; i < 10; ++i) g.on_accepted(t0 + 300ms, t0);
      g.on_refused(t0 + 400ms, t0 + 1ms, hint);
      auto probe = g.admit(t0 + 400ms + p.probe_after);
      REQUIRE(probe.reserved);
      g.on_accepted(t0 + 600ms, probe.at);
      return g.state(t0 + 600ms).m;
    };
    rate_governor late;
    CHECK(probe_passes(100ms, late) == mode::probation);  // after the reopening at 500 ms: no evidence
    late.closed_until(t0 + 2s);                           // the probation ends
    CHECK(late.state(t0 + 2s).m == mode::window);
    rate_governor early;
    CHECK(probe_passes(1s, early) == mode::paced);  // before the reopening at 1.4 s: a rate
  }

  TEST_CASE("a lone caller: nothing else to tell by, the hint is taken at its word") {
    governor_params p;
    rate_governor g(p);
    g.admit(t0);
    g.on_refused(t0 + 1ms, t0, 1s);
    auto a = g.admit(t0 + 1ms + p.probation);
    CHECK_FALSE(a.reserved);
    CHECK(a.at == t0 + 1ms + 1s);
    // Nothing had passed, so there is no budget to learn: free again once it opens.
    CHECK(g.state(a.at).m == mode::free);
    CHECK(g.admit(a.at).reserved);
    CHECK(g.admit(a.at).at == a.at);
  }

  TEST_CASE("the probe passes: a rate, though every answer in flight was refused") {
    governor_params p;
    rate_governor g(p);
    for (int i = 0; i < 64; ++i) g.admit(t0);
    for (int i = 0; i < 20; ++i) g.on_accepted(t0 + 1ms, t0);
    for (int i = 0; i < 44; ++i) g.on_refused(t0 + 1ms, t0, 1s);
    auto probe = g.admit(t0 + 1ms + p.probe_after);
    REQUIRE(probe.reserved);
    g.on_accepted(probe.at + 1ms, probe.at);
    CHECK(g.state(probe.at + 1ms).m == mode::paced);
  }
}

TEST_SUITE("rate_governor.runs") {
  // The goals of docs/rate-limits.md, in virtual time against the simulator's limiters.
  TEST_CASE("a leaky bucket of 500 r/s (burst 20) with a fixed 'try again in 1s': <= 1.2x the least wall, <= 5% 429") {
    virtual_run v;
    v.server = {aiven::sim::rate_limit_mode::leaky_bucket, 500, 1s, 20, 1, true};
    v.requests = 5000;
    auto r = v.go();
    const double least = (5000.0 - 20) / 500;
    MESSAGE("bucket: wall " << r.wall_s << " s (" << r.wall_s / least << "x), 429 " << 100 * r.refused_share()
                            << " % (" << r.refused << ")");
    CHECK(r.accepted == 5000);
    CHECK(r.wall_s <= 1.2 * least);
    CHECK(r.refused_share() <= 0.05);
  }

  TEST_CASE("the same bucket on a loaded machine (answers 150 ms late): no stall, <= 2.5x the least wall") {
    // The first 429 comes back after the 100 ms the send rate is read over: the pace
    // that drew it is read since the first admission, the probation lasts a round trip,
    // and a pace learned too low books no caller further ahead than max_reservation
    // (CI once ran this 15.8x the least wall; here it was 10.4x). What stays above 1x:
    // the 108 callers refused in the first burst wait out their "1s" while 20 go on.
    virtual_run v;
    v.server = {aiven::sim::rate_limit_mode::leaky_bucket, 500, 1s, 20, 1, true};
    v.callers = 128;
    v.latency = 150ms;
    v.requests = 1000;
    auto r = v.go();
    const double least = (1000.0 - 20) / 500;
    MESSAGE("loaded bucket: wall " << r.wall_s << " s (" << r.wall_s / least << "x), 429 " << 100 * r.refused_share()
                                   << " % (" << r.refused << ")");
    CHECK(r.accepted == 1000);
    CHECK(r.wall_s <= 2.5 * least);
  }

  TEST_CASE("a fixed window of 200 per 2 s with exact hints: <= 1.1x the least wall, <= 5% 429") {
    virtual_run v;
    v.server = {aiven::sim::rate_limit_mode::fixed_window, 200, 2s, 0, 0, true};
    v.requests = 1200;
    auto r = v.go();
    const double least = 10.0;  // six windows: the last opens at 10 s
    MESSAGE("window: wall " << r.wall_s << " s (" << r.wall_s / least << "x), 429 " << 100 * r.refused_share()
                            << " % (" << r.refused << ")");
    CHECK(r.accepted == 1200);
    CHECK(r.wall_s <= 1.1 * least);
    CHECK(r.refused_share() <= 0.05);
  }

  TEST_CASE("stray 429s (1 in 100) with no limit behind them do not wear the pace down") {
    virtual_run v;
    v.server = {};  // no limiter: only the stray refusals
    v.requests = 20000;
    v.stray_every = 100;
    auto r = v.go();
    // The same run with every request sent at once: the refused callers' waits alone.
    v.governed = false;
    const double unpaced = v.go().wall_s;
    MESSAGE("stray: wall " << r.wall_s << " s, unpaced " << unpaced << " s, 429 " << 100 * r.refused_share() << " %");
    CHECK(r.accepted == 20000);
    CHECK(r.wall_s < unpaced * 1.1);
  }

  TEST_CASE("four processes of 16 callers on one token's window: each learns its share") {
    virtual_run v;
    v.server = {aiven::sim::rate_limit_mode::fixed_window, 200, 2s, 0, 0, true};
    v.requests = 1200;
    v.groups = 4;
    auto r = v.go();
    MESSAGE("window x4 (local governors): wall " << r.wall_s << " s, 429 " << 100 * r.refused_share() << " %");
    v.shared_governor = true;
    auto s = v.go();
    MESSAGE("window x4 (one governor): wall " << s.wall_s << " s, 429 " << 100 * s.refused_share() << " %");
    CHECK(r.accepted == 1200);
    CHECK(s.accepted == 1200);
    CHECK(s.wall_s <= 1.2 * 10.0);
    CHECK(s.refused_share() <= 0.05);
  }
}
