// TLS verification against the simulator.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <utility>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;

TEST_SUITE("integration.tls") {
  TEST_CASE("a CA that did not sign the server certificate fails with a clear TLS error") {
    sim::simulator sim;
    sim::simulator other;  // its CA is a different, freshly generated one
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.ca_pem = other.ca_pem();
    std::vector<std::pair<unsigned, bool>> attempts;  // attempt, will_retry
    opts.on_attempt = [&](const attempt_record& r) { attempts.emplace_back(r.attempt, r.will_retry); };
    client c(io.get_executor(), opts);
    diagnostics diag;
    auto [ec, r] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, raw_response>> {
      co_return co_await c.async_request(raw_request::get("/v1/clouds"), diag, asio::as_tuple(asio::use_awaitable));
    });
    CHECK(ec);
    // A verification failure is permanent: one attempt, not retried.
    CHECK(diag.attempts == 1);
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0] == std::pair{1u, false});
    CHECK(sim.connections_accepted() == 1);
    CHECK(ec.category() == asio::error::get_ssl_category());
    CHECK(diag.http_status == 0);
    CHECK(diag.client_message.find("TLS handshake") != std::string::npos);
    CHECK(diag.client_message.find("certificate verify failed") != std::string::npos);
    CHECK(sim.requests().empty());
  }

  TEST_CASE("the right CA from a file verifies, and clouds need no token") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.ca_pem.clear();
    opts.ca_file = sim.write_ca_file();
    opts.token.clear();
    client c(io.get_executor(), opts);
    auto r = test::run(io, [&]() -> asio::awaitable<raw_response> {
      co_return co_await c.async_request(raw_request::get("/v1/clouds"));
    });
    CHECK(r.status == 200);
    CHECK(r.body.find("aws-") != std::string::npos);
    REQUIRE(sim.requests().size() == 1);
    CHECK_FALSE(sim.requests()[0].had_token);
  }

  TEST_CASE("a 401 to a client with no token says there is no token; with a wrong one it does not") {
    sim::simulator sim;
    for (const bool empty : {true, false}) {
      asio::io_context io;
      auto opts = test::sim_options(sim);
      opts.token = empty ? "" : "not-the-token";
      client c(io.get_executor(), opts);
      diagnostics diag;
      auto [ec, r] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, raw_response>> {
        co_return co_await c.async_request(raw_request::get("/v1/project"), diag, asio::as_tuple(asio::use_awaitable));
      });
      CHECK(diag.http_status == 401);
      CHECK((diag.client_message.find("no token") != std::string::npos) == empty);
    }
  }
}
