// Typed calls decode the body bytes inside the attempt: a 2xx body that is not JSON is
// errc::bad_response with the parser's reason, and a safe call is retried as before.
#include "api/cloud_platforms.cpp"

#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

using namespace aiven;
namespace asio = boost::asio;

TEST_SUITE("codec.typed_calls") {
  TEST_CASE("a typed call decodes the body; one that is not JSON is bad_response, retried when safe") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    auto call = [&](const client& cl, diagnostics& diag, std::vector<api::cloud_out>& out) {
      return test::run(io, [&]() -> asio::awaitable<error_code> {
        api::list_clouds_request req;  // named: no braced temporary inside co_await (GCC 12)
        auto [e, v] = co_await api::async_list_clouds(cl, std::move(req), diag, asio::as_tuple(asio::use_awaitable));
        out = std::move(v);
        co_return e;
      });
    };
    std::vector<api::cloud_out> out;
    diagnostics d0;
    CHECK_FALSE(call(c, d0, out));
    CHECK_FALSE(out.empty());
    CHECK(d0.attempts == 1);

    sim.inject(sim::fault{.kind = sim::fault_kind::malformed_json, .path_prefix = "/v1/clouds"});
    diagnostics d1;
    std::vector<api::cloud_out> failed;
    CHECK(call(c.with(call_options{.retry = retry_options{.max_attempts = 1}}), d1, failed) == errc::bad_response);
    CHECK(failed.empty());
    CHECK(d1.http_status == 200);
    CHECK(d1.client_message.rfind("the response body is not valid JSON: ", 0) == 0);

    // A GET is idempotent: the body that does not decode is retried, and the next one decodes.
    sim.inject(sim::fault{.kind = sim::fault_kind::malformed_json, .path_prefix = "/v1/clouds"});
    diagnostics d2;
    std::vector<api::cloud_out> again;
    CHECK_FALSE(call(c, d2, again));
    CHECK(d2.attempts == 2);
    CHECK(d2.http_status == 200);
    CHECK(d2.client_message == "");
    CHECK(again == out);
  }
}
