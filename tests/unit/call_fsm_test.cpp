// The call loop's decisions, event by event: no socket, no timer, no sleep.
#include "core/call_fsm.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <doctest/doctest.h>

using namespace aiven;
using namespace aiven::detail;
using namespace std::chrono_literals;
using K = next_action::kind_t;

namespace {

const call_clock::time_point t0 = call_clock::time_point{} + std::chrono::hours(1000);
const retry_options opts{.max_attempts = 4, .initial_backoff = 100ms, .max_backoff = 1000ms};

// Drives a fresh call up to its first exchange on a reused (pooled) connection.
call_fsm to_exchange(bool idempotent, call_clock::duration timeout = 10s) {
  call_fsm f(opts, idempotent, t0 + timeout, 7);
  REQUIRE(f.start().kind == K::admit);
  REQUIRE(f.admitted(t0, t0, false).kind == K::acquire);
  REQUIRE(f.acquired({}, true, false).kind == K::exchange);
  return f;
}

exchange_event status(unsigned s, std::optional<ms> hint = {}) {
  exchange_event e;
  e.written = write_state::complete;
  e.response_started = true;
  e.response.ec = s / 100 == 2 ? error_code{} : error_code(errc_from_status(s));
  e.response.may_have_executed = s != 429;
  e.response.retry_after = hint;
  return e;
}

exchange_event broken(write_state w, bool reused, bool started = false) {
  exchange_event e;
  e.ec = boost::asio::error::eof;
  e.written = w;
  e.reused = reused;
  e.response_started = started;
  return e;
}

}  // namespace

TEST_SUITE("call_fsm.classify") {
  TEST_CASE("status to errc; 2xx is success") {
    diagnostics d;
    auto now = std::chrono::system_clock::now();
    CHECK_FALSE(classify_response(204, nullptr, d, now).ec);
    CHECK(classify_response(404, nullptr, d, now).ec == errc::not_found);
    CHECK(classify_response(503, nullptr, d, now).ec == errc::server_error);
    CHECK(classify_response(500, nullptr, d, now).may_have_executed);
    CHECK_FALSE(classify_response(429, nullptr, d, now).may_have_executed);
  }
  TEST_CASE("hint precedence: Retry-After, then the message, then errors[]") {
    auto now = std::chrono::system_clock::now();
    diagnostics d;
    d.message = "slow down, try again in 5s";
    d.errors.push_back({.message = "try again in 9s"});
    std::string header = "3";
    CHECK(classify_response(429, &header, d, now).retry_after == ms(3000));
    CHECK(classify_response(429, nullptr, d, now).retry_after == ms(5000));
    d.message = "slow down";
    CHECK(classify_response(429, nullptr, d, now).retry_after == ms(9000));
    std::string garbage = "soon";
    CHECK(classify_response(503, &garbage, d, now).retry_after == ms(9000));
    CHECK_FALSE(classify_response(500, &header, d, now).retry_after);  // only 429 and 503 carry a wait
  }
}

TEST_SUITE("call_fsm.attempts") {
  TEST_CASE("success in one attempt") {
    auto f = to_exchange(true);
    auto a = f.exchanged(status(200), false, t0, {});
    CHECK(a.kind == K::done);
    CHECK_FALSE(a.ec);
    CHECK(f.attempts() == 1);
    CHECK_FALSE(f.will_retry());
  }
  TEST_CASE("the attempt counts before the connection is opened: a connect failure is attempt 1") {
    call_fsm f(opts, true, t0 + 10s, 1);
    f.start();
    f.admitted(t0, t0, false);
    CHECK(f.attempts() == 1);
    CHECK(f.acquired({}, false, false).kind == K::open);
    auto a = f.opened(boost::asio::error::connection_refused, false, false, t0, {});
    CHECK(a.kind == K::wait);
    CHECK(f.will_retry());
    CHECK(f.waited(false).kind == K::admit);
    CHECK(f.admitted(a.until, a.until, false).kind == K::acquire);
    CHECK(f.attempts() == 2);
  }
  TEST_CASE("a permanent open failure (certificate verification) ends the call at once") {
    call_fsm f(opts, true, t0 + 10s, 1);
    f.start();
    f.admitted(t0, t0, false);
    f.acquired({}, false, false);
    auto ec = error_code(1, boost::asio::error::get_ssl_category());
    auto a = f.opened(ec, true, false, t0, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == ec);
    CHECK(f.attempts() == 1);
    CHECK_FALSE(f.will_retry());
  }
  TEST_CASE("max_attempts bounds the retries, and the last attempt says it stops") {
    auto f = to_exchange(true, 1h);
    auto now = t0;
    for (unsigned i = 1; i < 4; ++i) {
      auto a = f.exchanged(status(503), false, now, {});
      REQUIRE(a.kind == K::wait);
      CHECK(f.will_retry());
      now = a.until;
      REQUIRE(f.waited(false).kind == K::admit);
      REQUIRE(f.admitted(now, now, false).kind == K::acquire);
      REQUIRE(f.acquired({}, true, false).kind == K::exchange);
    }
    auto a = f.exchanged(status(503), false, now, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::server_error);
    CHECK_FALSE(f.will_retry());
    CHECK(f.attempts() == 4);
    CHECK(f.retries() == 3);
  }
}

TEST_SUITE("call_fsm.stale") {
  TEST_CASE("reused connection, write failed: re-sent on a fresh connection, for any method") {
    for (bool idempotent : {true, false})
      for (auto w : {write_state::none, write_state::partial}) {
        auto f = to_exchange(idempotent);
        auto a = f.exchanged(broken(w, true), false, t0, {});
        CHECK(a.kind == K::open);
        CHECK(f.stale_resend());
        CHECK(f.will_retry());
        CHECK(f.attempts() == 2);
      }
  }
  TEST_CASE("reused connection, whole request written, then EOF: a POST ends with connection_lost") {
    auto f = to_exchange(false);
    auto a = f.exchanged(broken(write_state::complete, true), false, t0, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::connection_lost);
    CHECK(a.why.find("may have been executed") != std::string_view::npos);
    CHECK_FALSE(f.will_retry());
    CHECK(f.attempts() == 1);
  }
  TEST_CASE("the same for a GET: re-sent on a fresh connection") {
    auto f = to_exchange(true);
    CHECK(f.exchanged(broken(write_state::complete, true), false, t0, {}).kind == K::open);
  }
  TEST_CASE("a fresh connection that breaks after the write: POST connection_lost, GET retried with backoff") {
    auto post = to_exchange(false);
    auto a = post.exchanged(broken(write_state::complete, false), false, t0, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::connection_lost);
    auto get = to_exchange(true);
    CHECK(get.exchanged(broken(write_state::complete, false), false, t0, {}).kind == K::wait);
  }
  TEST_CASE("a response cut in the middle is never a stale re-send") {
    auto f = to_exchange(false);
    auto a = f.exchanged(broken(write_state::complete, true, true), false, t0, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::connection_lost);
    CHECK_FALSE(f.stale_resend());
  }
}

TEST_SUITE("call_fsm.pause") {
  TEST_CASE("a 429 with a time: the pause is recorded, then admission waits for it") {
    auto f = to_exchange(false);
    auto e = status(429, ms(2000));
    auto pause = call_fsm::pause_for(e, t0);
    REQUIRE(pause);
    CHECK(*pause == t0 + 2s);
    auto a = f.exchanged(e, false, t0, *pause);
    CHECK(a.kind == K::admit);  // a POST too: refused, not executed
    auto w = f.admitted(t0, *pause, false);
    CHECK(w.kind == K::wait);
    CHECK(w.until == *pause);
    CHECK(f.waited(false).kind == K::acquire);
  }
  TEST_CASE("a 429 whose pause outlasts the deadline: recorded all the same, the call fails at once and says why") {
    auto f = to_exchange(true, 2s);
    auto e = status(429, ms(30000));
    auto pause = call_fsm::pause_for(e, t0);
    REQUIRE(pause);  // the driver records it before the call gives up
    auto a = f.exchanged(e, false, t0, *pause);
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::rate_limited);
    CHECK(a.why.find("outlasts") != std::string_view::npos);
    // Another call of the client then fails before sending anything.
    call_fsm g(opts, true, t0 + 2s, 2);
    g.start();
    auto b = g.admitted(t0, *pause, false, *pause);
    CHECK(b.kind == K::done);
    CHECK(b.ec == errc::rate_limited);
    CHECK(b.why.find("outlasts") != std::string_view::npos);
    CHECK(g.attempts() == 0);
  }
  TEST_CASE("a hint beyond any sane wait is clamped, never overflowing the clock") {
    auto e = status(429, ms(std::chrono::hours(24 * 365 * 1000)));
    auto pause = call_fsm::pause_for(e, t0);
    REQUIRE(pause);
    CHECK(*pause == t0 + max_pause);
  }
  TEST_CASE("a 429 without a time waits a backoff of its own, not a shared pause") {
    auto f = to_exchange(true);
    auto e = status(429);
    CHECK_FALSE(call_fsm::pause_for(e, t0));
    auto a = f.exchanged(e, false, t0, {});
    CHECK(a.kind == K::wait);
    CHECK(a.until <= t0 + 100ms);
  }
  TEST_CASE("a retry that another call's pause would hold past the deadline stops now (will_retry false)") {
    auto f = to_exchange(true, 2s);
    auto a = f.exchanged(status(503, ms(0)), false, t0, t0 + 30s);
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::server_error);
    CHECK_FALSE(f.will_retry());
  }
}

TEST_SUITE("call_fsm.deadline") {
  TEST_CASE("the client's own token bucket past the deadline: a timeout, nothing sent") {
    call_fsm f(opts, true, t0 + 1s, 1);
    f.start();
    auto a = f.admitted(t0, t0 + 2s, false, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::timeout);
    CHECK(f.attempts() == 0);
  }
  TEST_CASE("a backoff that ends after the deadline stops the call with the last error") {
    auto f = to_exchange(true, 50ms);
    auto a = f.exchanged(status(503, ms(5000)), false, t0, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::server_error);
    CHECK(a.why.find("no time left") != std::string_view::npos);
  }
  TEST_CASE("a timeout is final") {
    auto f = to_exchange(true);
    exchange_event e;
    e.ec = errc::timeout;
    auto a = f.exchanged(e, false, t0, {});
    CHECK(a.kind == K::done);
    CHECK(a.ec == errc::timeout);
  }
  TEST_CASE("a shared request's deadline follows its longest-waiting participant") {
    auto f = to_exchange(true, 50ms);
    f.extend_deadline(t0 + 1h);
    CHECK(f.exchanged(status(503, ms(5000)), false, t0, {}).kind == K::wait);
    f.extend_deadline(t0);  // never shortened
    CHECK(f.deadline() == t0 + 1h);
  }
}

TEST_SUITE("call_fsm.cancellation") {
  TEST_CASE("cancellation observed after every wait ends the call before anything is sent") {
    {
      call_fsm f(opts, true, t0 + 10s, 1);
      f.start();
      auto a = f.admitted(t0, t0, true);  // before admission
      CHECK(a.kind == K::done);
      CHECK(a.ec == boost::asio::error::operation_aborted);
    }
    {
      call_fsm f(opts, true, t0 + 10s, 1);
      f.start();
      f.admitted(t0, t0 + 1s, false);
      CHECK(f.waited(true).ec == boost::asio::error::operation_aborted);  // during the pause
    }
    {
      call_fsm f(opts, true, t0 + 10s, 1);
      f.start();
      f.admitted(t0, t0, false);
      // The pool granted a connection, but the call was cancelled meanwhile.
      auto a = f.acquired({}, true, true);
      CHECK(a.kind == K::done);
      CHECK(a.ec == boost::asio::error::operation_aborted);
    }
    {
      call_fsm f(opts, true, t0 + 10s, 1);
      f.start();
      f.admitted(t0, t0, false);
      f.acquired({}, false, false);
      // Resolve, connect and handshake went through, but the call was cancelled meanwhile.
      auto a = f.opened({}, false, true, t0, {});
      CHECK(a.kind == K::done);
      CHECK(a.ec == boost::asio::error::operation_aborted);
    }
    {
      auto f = to_exchange(true);
      auto a = f.exchanged(status(503), false, t0, {});
      REQUIRE(a.kind == K::wait);
      CHECK(f.waited(true).ec == boost::asio::error::operation_aborted);  // during the backoff
    }
  }
  TEST_CASE("waiting for the pool: timeout at the deadline, abort when cancelled") {
    call_fsm f(opts, true, t0 + 10s, 1);
    f.start();
    f.admitted(t0, t0, false);
    auto a = f.acquired(errc::timeout, false, false);
    CHECK(a.ec == errc::timeout);
    CHECK(a.why.find("pooled connection") != std::string_view::npos);
    call_fsm g(opts, true, t0 + 10s, 1);
    g.start();
    g.admitted(t0, t0, false);
    CHECK(g.acquired(boost::asio::error::operation_aborted, false, false).ec == boost::asio::error::operation_aborted);
  }
}
