// Threading rules under ThreadSanitizer: one client, several threads running
// its io_context, while other threads read stats() and close idle connections.
// Covers single-flight sharing, cancellation, the shared 429 pause and retries.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST_SUITE("threads.tsan") {
  TEST_CASE("4 io_context threads: shared GETs, cancellations, 429 pauses, stats and close_idle from outside") {
    sim::simulator sim(sim::simulator_options{.random_fault_rate = 0.05, .random_seed = 11, .random_retry_after_s = 0});
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.pool.max_connections = 4;
    opts.retry = retry_options{.max_attempts = 6, .initial_backoff = 2ms, .max_backoff = 10ms, .resume_spread = 5ms};
    client c(io.get_executor(), opts);
    std::atomic<int> finished{0}, untyped{0};
    constexpr int calls = 400;
    for (int i = 0; i < calls; ++i) {
      // A strand per coroutine: its cancelling timer and its call complete in order.
      asio::co_spawn(asio::make_strand(io), [&, i]() -> asio::awaitable<void> {
        if (i % 7 == 0) {
          // Cancelled by a short timer midway, or completed first.
          auto sig = std::make_shared<asio::cancellation_signal>();
          auto t = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                        std::chrono::microseconds(200 + i));
          t->async_wait([sig, t](error_code tec) {
            if (!tec) sig->emit(asio::cancellation_type::terminal);
          });
          auto [ec, r] = co_await c.async_request(raw_request::get("/v1/clouds"),
                                                  asio::bind_cancellation_slot(sig->slot(), asio::as_tuple(asio::use_awaitable)));
          t->cancel();
          if (ec && ec.category() != aiven_category() && ec != asio::error::operation_aborted) ++untyped;
        } else {
          // Many identical GETs at once: single-flight shares them.
          raw_request req = i % 5 == 0 ? raw_request::post("/v1/project/demo/service",
                                                           R"({"service_name":"t)" + std::to_string(i) +
                                                               R"(","service_type":"pg","plan":"hobbyist"})")
                                       : raw_request::get(i % 2 ? "/v1/project/demo" : "/v1/clouds");
          diagnostics d;
          auto [ec, r] = co_await c.async_request(std::move(req), d, asio::as_tuple(asio::use_awaitable));
          if (ec && ec.category() != aiven_category() && ec != asio::error::operation_aborted) ++untyped;
        }
        ++finished;
      }, asio::detached);
    }
    std::atomic<bool> stop{false};
    std::thread observer([&] {
      while (!stop) {
        auto s = c.stats();
        CHECK(s.open <= 4);
        c.close_idle();
        std::this_thread::sleep_for(1ms);
      }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { io.run(); });
    for (auto& t : threads) t.join();
    stop = true;
    observer.join();
    CHECK(finished == calls);
    CHECK(untyped == 0);
    CHECK(c.stats().waiting == 0);
  }

  TEST_CASE("two clients of one token on two io_contexts, 2 threads each: one governor learns the window") {
    // The token's governor is shared by both clients and reported to from 4 threads.
    sim::simulator sim(sim::simulator_options{
        .rate_limit = {.mode = sim::rate_limit_mode::fixed_window, .requests = 30, .window = 1s}});
    std::vector<std::thread> threads;
    std::atomic<int> ok{0}, failed{0};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<int> paced{0};
    for (int k = 0; k < 2; ++k) {
      threads.emplace_back([&] {
        asio::io_context io;
        auto o = test::sim_options(sim);
        o.request_timeout = 60s;
        o.single_flight = false;  // each call its own request: identical GETs would share one
        client c(io.get_executor(), o);
        for (int i = 0; i < 45; ++i)
          asio::co_spawn(asio::make_strand(io), [&]() -> asio::awaitable<void> {
            auto [ec, r] = co_await c.async_request(raw_request::get("/v1/clouds"), asio::as_tuple(asio::use_awaitable));
            if (ec) ++failed; else ++ok;
          }, asio::detached);
        std::thread helper([&] { io.run(); });
        io.run();
        helper.join();
        refused += c.stats().rate_limited;
        if (c.stats().rate_pace > 0) ++paced;
      });
    }
    for (auto& t : threads) t.join();
    CHECK(ok == 90);
    CHECK(failed == 0);
    CHECK(refused > 0);   // the window was hit: the governor was used
    CHECK(paced == 2);    // and both clients see its pace
  }

  TEST_CASE("two clients, two io_contexts, one simulator: no shared state between clients") {
    sim::simulator sim;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int k = 0; k < 2; ++k) {
      threads.emplace_back([&] {
        asio::io_context io;
        client c(io.get_executor(), test::sim_options(sim));
        for (int i = 0; i < 50; ++i)
          asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            auto [ec, r] = co_await c.async_request(raw_request::get("/v1/clouds"), asio::as_tuple(asio::use_awaitable));
            if (!ec) ++ok;
          }, asio::detached);
        std::thread helper([&] { io.run(); });
        io.run();
        helper.join();
      });
    }
    for (auto& t : threads) t.join();
    CHECK(ok == 100);
  }
}
