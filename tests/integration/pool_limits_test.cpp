// Pool limits: idle timeout, connection age, FIFO waiting, connect/handshake deadlines.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST_SUITE("integration.pool_limits") {
  TEST_CASE("a connection idle longer than idle_timeout is not reused") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.pool.idle_timeout = 150ms;
    client c(io.get_executor(), opts);
    test::run(io, [&]() -> asio::awaitable<void> {
      co_await c.async_request(raw_request::get("/v1/project"));
      co_await c.async_request(raw_request::get("/v1/project"));  // within the idle timeout: reused
      asio::steady_timer t(c.get_executor(), 300ms);
      co_await t.async_wait(asio::use_awaitable);
      co_await c.async_request(raw_request::get("/v1/project"));  // past it: a new connection
    });
    CHECK(c.stats().connections_opened == 2);
    CHECK(c.stats().connections_reused == 1);
    CHECK(sim.connections_accepted() == 2);
  }

  TEST_CASE("a connection older than max_connection_age is replaced") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.pool.max_connection_age = 200ms;
    client c(io.get_executor(), opts);
    test::run(io, [&]() -> asio::awaitable<void> {
      asio::steady_timer t(c.get_executor());
      for (int i = 0; i < 6; ++i) {  // a call every 100 ms: never idle long, but it ages
        co_await c.async_request(raw_request::get("/v1/project"));
        t.expires_after(100ms);
        co_await t.async_wait(asio::use_awaitable);
      }
    });
    CHECK(c.stats().connections_opened >= 2);
    CHECK(c.stats().connections_opened <= 4);
  }

  TEST_CASE("callers waiting for a connection are served in arrival order") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.pool.max_connections = 1;
    opts.single_flight = false;
    client c(io.get_executor(), opts);
    std::vector<int> order;
    for (int i = 0; i < 20; ++i)
      asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
        co_await c.async_request(raw_request::get("/v1/project/demo"));
        order.push_back(i);
      }, asio::detached);
    io.run();
    REQUIRE(order.size() == 20);
    for (int i = 0; i < 20; ++i) CHECK(order[i] == i);
    CHECK(sim.max_open_connections() == 1);
  }

  TEST_CASE("a server that never completes the TLS handshake fails the call at connect_timeout") {
    // A TCP listener that accepts (through the kernel backlog) and says nothing.
    asio::io_context io;
    asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    client_options opts;
    opts.base_url = "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
    opts.connect_timeout = 300ms;
    client c(io.get_executor(), opts);
    diagnostics diag;
    auto t0 = std::chrono::steady_clock::now();
    auto [ec, r] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, raw_response>> {
      co_return co_await c.async_request(raw_request::get("/v1/clouds"), diag, asio::as_tuple(asio::use_awaitable));
    });
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(ec == errc::timeout);
    CHECK(diag.client_message.find("timed out") != std::string::npos);
    // Connect failures are retried; every attempt has its own connect timeout,
    // so the call ends after a few of them, well before request_timeout.
    CHECK(took < 10.0);
    CHECK(c.stats().open == 0);
  }

  TEST_CASE("nothing listening: a typed connection error, and the pool slot is given back") {
    asio::io_context io;
    std::uint16_t port;
    {
      asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
      port = a.local_endpoint().port();
    }
    client_options opts;
    opts.base_url = "https://127.0.0.1:" + std::to_string(port);
    opts.retry.max_attempts = 2;
    opts.retry.initial_backoff = 10ms;
    client c(io.get_executor(), opts);
    diagnostics diag;
    auto [ec, r] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, raw_response>> {
      co_return co_await c.async_request(raw_request::get("/v1/clouds"), diag, asio::as_tuple(asio::use_awaitable));
    });
    CHECK(ec == asio::error::connection_refused);
    CHECK(diag.client_message.find("connect to 127.0.0.1") != std::string::npos);
    CHECK(c.stats().open == 0);
  }
}
