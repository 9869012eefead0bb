// Keep-alive pooling against the simulator over real TLS.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>

using namespace aiven;
namespace asio = boost::asio;

TEST_SUITE("integration.pool") {
  TEST_CASE("sequential calls reuse one connection: one TLS handshake") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 20; ++i) {
        auto r = co_await c.async_request(raw_request::get("/v1/project"));
        CHECK(r.status == 200);
      }
    });
    CHECK(sim.tls_handshakes() == 1);
    CHECK(sim.connections_accepted() == 1);
    auto s = c.stats();
    CHECK(s.connections_opened == 1);
    CHECK(s.connections_reused == 19);
    CHECK(s.idle == 1);
  }

  TEST_CASE("a connection the server closed while idle is replaced and the call succeeds") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      co_await c.async_request(raw_request::get("/v1/project"));
      sim.close_idle_connections();
      auto r = co_await c.async_request(raw_request::get("/v1/project"));
      CHECK(r.status == 200);
    });
    CHECK(sim.connections_accepted() == 2);
    CHECK(c.stats().connections_opened == 2);
  }

  TEST_CASE("a reused connection that fails after the whole request was sent: a GET goes again, a POST does not") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      co_await c.async_request(raw_request::get("/v1/project"));
      // The server reads the next request and drops the connection unanswered.
      // The client cannot tell whether it ran it (this server did not; another might
      // have), so only a request safe to repeat is sent again, on a fresh connection.
      sim.inject(sim::fault{.kind = sim::fault_kind::reset_before_headers, .method = "GET"});
      diagnostics gd;
      auto r = co_await c.async_request(raw_request::get("/v1/project"), gd);
      CHECK(r.status == 200);
      CHECK(gd.attempts == 2);
      sim.inject(sim::fault{.kind = sim::fault_kind::reset_before_headers, .method = "POST"});
      diagnostics pd;
      auto [ec, pr] = co_await c.async_request(
          raw_request::post("/v1/project/demo/service", R"({"service_name":"s1","service_type":"pg","plan":"hobbyist"})"),
          pd, asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::connection_lost);
      CHECK(pd.attempts == 1);
    });
    CHECK(sim.executed("POST", "/v1/project/demo/service") == 0);
    CHECK(c.stats().stale_retries == 1);
  }

  TEST_CASE("an error status leaves the connection reusable") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 3; ++i) {
        auto [ec, r] = co_await c.async_request(raw_request::get("/v1/project/missing"),
                                                asio::as_tuple(asio::use_awaitable));
        CHECK(ec == errc::not_found);
      }
    });
    CHECK(sim.connections_accepted() == 1);
  }

  TEST_CASE("1,000 concurrent calls through a pool of 16: all succeed, never more than 16 connections") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.pool.max_connections = 16;
    client c(io.get_executor(), opts);
    std::atomic<int> ok{0}, failed{0};
    for (int i = 0; i < 1000; ++i) {
      asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto [ec, r] = co_await c.async_request(raw_request::get("/v1/project/demo"), asio::as_tuple(asio::use_awaitable));
        (!ec && r.status == 200 ? ok : failed)++;
      }, asio::detached);
    }
    io.run();
    CHECK(ok == 1000);
    CHECK(failed == 0);
    CHECK(sim.max_open_connections() <= 16);
    CHECK(c.stats().max_open <= 16);
    CHECK(c.stats().connections_opened <= 16);
    CHECK(c.stats().waiting == 0);
  }
}
