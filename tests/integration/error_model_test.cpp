// The error model over real TLS: typed errc, Aiven's message and errors[],
// HTTP status, operation and path in diagnostics; with both token styles.
#include "support/run.hpp"
#include "core/call.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

using namespace aiven;
namespace asio = boost::asio;

TEST_SUITE("integration.error_model") {
  TEST_CASE("401 without a valid token: as_tuple gives the code and diagnostics") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.token = "wrong-token-SECRET123";
    client c(io.get_executor(), opts);
    diagnostics diag;
    auto [ec, resp] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, raw_response>> {
      // A named request: GCC 12 destroys brace-initialized aggregate temporaries
      // inside a co_await expression twice (see README, "Compilers").
      raw_request req{.path = "/v1/project", .operation_id = "ProjectList"};
      co_return co_await c.async_request(std::move(req), diag, asio::as_tuple(asio::use_awaitable));
    });
    CHECK(ec == errc::unauthorized);
    CHECK(resp.status == 401);
    CHECK(diag.http_status == 401);
    CHECK(diag.operation == "ProjectList");
    CHECK(diag.method == "GET");
    CHECK(diag.path == "/v1/project");
    CHECK(diag.message == "Invalid token");
    REQUIRE(diag.errors.size() == 1);
    CHECK(diag.errors[0].status == 401);
    CHECK(diag.to_string().find("SECRET123") == std::string::npos);
  }

  TEST_CASE("404 and 409 throw api_error with the diagnostics by default") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      try {
        co_await c.async_request(raw_request::get("/v1/project/demo/service/nope"));
        FAIL("no exception");
      } catch (const api_error& e) {
        CHECK(e.code() == errc::not_found);
        CHECK(e.get_diagnostics().http_status == 404);
        CHECK(e.get_diagnostics().path == "/v1/project/demo/service/nope");
        CHECK_FALSE(e.get_diagnostics().message.empty());
        CHECK(std::string(e.what()).find("HTTP 404") != std::string::npos);
      }
      std::string body = R"({"service_name":"dup","service_type":"pg","plan":"hobbyist"})";
      co_await c.async_request(raw_request::post("/v1/project/demo/service", body));
      try {
        co_await c.async_request(raw_request::post("/v1/project/demo/service", body));
        FAIL("no exception");
      } catch (const api_error& e) {
        CHECK(e.code() == errc::conflict);
        CHECK(e.get_diagnostics().http_status == 409);
        CHECK(e.get_diagnostics().method == "POST");
        REQUIRE_FALSE(e.get_diagnostics().errors.empty());
        CHECK(e.get_diagnostics().errors[0].status == 409);
      }
    });
  }

  TEST_CASE("invalid JSON in a 200 answer: errc::bad_response without retries, success with them") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    static const detail::op_info op{
        .operation_id = "ProjectList", .method = http_method::get, .path_template = "/v1/project", .idempotent = true};
    auto call = [&](const client& cl, diagnostics& diag) {
      return test::run(io, [&]() -> asio::awaitable<error_code> {
        auto token = asio::as_tuple(asio::use_awaitable);
        auto [e, v] = co_await asio::async_initiate<decltype(token), void(error_code, boost::json::value)>(
            [&](auto h) { detail::async_call_json(cl, detail::call_request{&op, "/v1/project"}, &diag, std::move(h)); },
            token);
        co_return e;
      });
    };
    sim.inject(sim::fault{.kind = sim::fault_kind::malformed_json, .path_prefix = "/v1/project"});
    diagnostics d1;
    CHECK(call(c.with(call_options{.retry = retry_options{.max_attempts = 1}}), d1) == errc::bad_response);
    CHECK(d1.http_status == 200);
    CHECK(d1.client_message.find("not valid JSON") != std::string::npos);

    // A GET is idempotent: the JSON layer's failure is retried and succeeds.
    sim.inject(sim::fault{.kind = sim::fault_kind::malformed_json, .path_prefix = "/v1/project"});
    diagnostics d2;
    CHECK_FALSE(call(c, d2));
    CHECK(d2.attempts == 2);
    CHECK(d2.http_status == 200);
  }
}
