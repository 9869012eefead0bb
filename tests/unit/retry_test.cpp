#include "core/retry.hpp"

#include <boost/asio/error.hpp>

#include <doctest/doctest.h>

using namespace aiven;
using namespace aiven::detail;
using namespace std::chrono_literals;

TEST_SUITE("retry.hints") {
  TEST_CASE("Retry-After as seconds and as an HTTP date") {
    auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    CHECK(parse_retry_after("28", now) == ms(28000));
    CHECK(parse_retry_after(" 0 ", now) == ms(0));
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now) == ms(10000));
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:07 GMT", now) == ms(0));  // in the past
    CHECK_FALSE(parse_retry_after("soon", now));
    CHECK_FALSE(parse_retry_after("", now));
    CHECK_FALSE(parse_retry_after("-5", now));
  }
  TEST_CASE("Aiven's 'try again in Ns' message") {
    CHECK(parse_try_again_hint("The user has sent too many requests in a given amount of time: Rate limit 120 "
                               "exceeded - try again in 28s") == ms(28000));
    CHECK(parse_try_again_hint("Try again in 2s") == ms(2000));
    CHECK(parse_try_again_hint("try again in 500ms") == ms(500));
    CHECK_FALSE(parse_try_again_hint("try again later"));
    CHECK_FALSE(parse_try_again_hint(""));
  }
}

TEST_SUITE("retry.policy") {
  const retry_options opts{.max_attempts = 4, .initial_backoff = 100ms, .max_backoff = 1000ms};

  TEST_CASE("429 is retried for any method, after the server's delay, as a shared pause") {
    retry_state post(opts, false, 1);
    auto s = post.on_attempt({errc::rate_limited, true, ms(2000)});
    CHECK(s.retry);
    CHECK(s.shared_pause);
    CHECK(s.delay == ms(2000));
  }
  TEST_CASE("5xx, 501, 408 and a bad body: retried only when idempotent") {
    for (auto e : {errc::server_error, errc::not_implemented, errc::request_timeout, errc::bad_response}) {
      retry_state get(opts, true, 1);
      CHECK(get.on_attempt({e, true, {}}).retry);
      retry_state post(opts, false, 1);
      auto s = post.on_attempt({e, true, {}});
      CHECK_FALSE(s.retry);
      CHECK(s.final_ec == e);
    }
  }
  TEST_CASE("a POST is re-sent only when it provably never reached the server") {
    retry_state a(opts, false, 1);
    CHECK(a.on_attempt({boost::asio::error::connection_refused, false, {}}).retry);
    retry_state b(opts, false, 1);
    auto s = b.on_attempt({boost::asio::error::connection_reset, true, {}});
    CHECK_FALSE(s.retry);
    CHECK(s.final_ec == errc::connection_lost);  // the caller learns the outcome is unknown
    retry_state c(opts, true, 1);
    CHECK(c.on_attempt({boost::asio::error::connection_reset, true, {}}).retry);
  }
  TEST_CASE("client errors, timeouts and cancellation are final") {
    for (error_code e : {error_code(errc::not_found), error_code(errc::conflict), error_code(errc::timeout),
                         error_code(boost::asio::error::operation_aborted)}) {
      retry_state r(opts, true, 1);
      CHECK_FALSE(r.on_attempt({e, true, {}}).retry);
    }
  }
  TEST_CASE("max_attempts bounds the attempts") {
    retry_state r(opts, true, 1);
    CHECK(r.on_attempt({errc::server_error, true, {}}).retry);
    CHECK(r.on_attempt({errc::server_error, true, {}}).retry);
    CHECK(r.on_attempt({errc::server_error, true, {}}).retry);
    CHECK_FALSE(r.on_attempt({errc::server_error, true, {}}).retry);
    CHECK(r.attempts() == 4);
  }
  TEST_CASE("exponential backoff with full jitter never exceeds the cap") {
    retry_options o{.max_attempts = 100, .initial_backoff = 100ms, .max_backoff = 800ms};
    for (std::uint64_t seed = 1; seed < 20; ++seed) {
      retry_state r(o, true, seed);
      for (int i = 1; i < 30; ++i) {
        auto s = r.on_attempt({errc::server_error, true, {}});
        REQUIRE(s.retry);
        auto cap = std::min<long>(800, 100L << std::min(i - 1, 20));
        CHECK(s.delay.count() >= 0);
        CHECK(s.delay.count() <= cap);
      }
    }
  }
}

TEST_SUITE("retry.limiter") {
  TEST_CASE("a pause holds every caller, then releases them spread over a window") {
    limiter l({}, 500ms);
    std::minstd_rand rng(7);
    auto t0 = steady::now();
    CHECK(l.admit(t0, rng).at == t0);
    l.pause_until(t0 + 2s);
    bool spread = false;
    for (int i = 0; i < 50; ++i) {
      auto at = l.admit(t0 + 100ms, rng).at;
      CHECK(at >= t0 + 2s);
      CHECK(at <= t0 + 2500ms);
      spread |= at > t0 + 2100ms;
    }
    CHECK(spread);
    CHECK(l.admit(t0 + 3s, rng).at == t0 + 3s);
  }
  TEST_CASE("token bucket: burst, then one call per 1/rps") {
    limiter l({.requests_per_second = 10, .burst = 2}, 0ms);
    std::minstd_rand rng(1);
    auto t0 = steady::now();
    CHECK(l.admit(t0, rng).at == t0);
    CHECK(l.admit(t0, rng).at == t0);
    auto third = l.admit(t0, rng).at;
    auto fourth = l.admit(t0, rng).at;
    CHECK(third - t0 == std::chrono::duration_cast<steady::duration>(100ms));
    CHECK(fourth - t0 == std::chrono::duration_cast<steady::duration>(200ms));
  }
}
