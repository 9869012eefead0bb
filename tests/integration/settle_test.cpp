// Settle after writes: a read of what this client just created is retried while the API
// answers 404; reads of anything else are not; off unless asked for.
#include "support/run.hpp"
#include "support/script_server.hpp"

#include <aiven/api/service.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <string>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST_SUITE("integration.settle") {
  TEST_CASE("GET after a create: 404s retried with settle on, attempts in diagnostics; never for another resource") {
    std::atomic<int> gets{0};
    test::script_server srv([&](const test::scripted_request& r) -> test::scripted_response {
      if (r.method == "POST") return {200, R"({"service":{"service_name":"fresh","state":"REBUILDING"}})"};
      if (r.target == "/v1/project/p/service/fresh" && ++gets <= 2) return {404, R"({"message":"Service not found"})"};
      if (r.target == "/v1/project/p/service/fresh") return {200, R"({"service":{"service_name":"fresh","state":"REBUILDING"}})"};
      return {404, R"({"message":"Service not found"})"};
    });
    asio::io_context io;
    auto o = srv.options();
    o.settle.initial_backoff = 5ms;
    client c(io.get_executor(), o);
    const client settled = c.with(call_options{.settle = true});
    struct res {
      error_code before, fresh, other, off;
      unsigned fresh_attempts = 0, other_attempts = 0;
    };
    auto r = test::run(io, [&]() -> asio::awaitable<res> {
      res out;
      diagnostics d;
      auto get = api::service_get_request{.project = "p", .service_name = "fresh"};
      // Before the create: not ours, not retried.
      auto [e0, s0] = co_await api::async_service_get(settled, get, d, asio::as_tuple(asio::use_awaitable));
      out.before = e0;
      gets = 0;
      auto create = api::service_create_request{.project = "p"};
      create.body.service_name = "fresh";
      create.body.service_type = "pg";
      create.body.plan = "hobbyist";
      co_await api::async_service_create(c, create);
      auto [e1, s1] = co_await api::async_service_get(settled, get, d, asio::as_tuple(asio::use_awaitable));
      out.fresh = e1;
      out.fresh_attempts = d.attempts;
      auto other = api::service_get_request{.project = "p", .service_name = "other"};
      auto [e2, s2] = co_await api::async_service_get(settled, other, d, asio::as_tuple(asio::use_awaitable));
      out.other = e2;
      out.other_attempts = d.attempts;
      gets = 0;
      auto [e3, s3] = co_await api::async_service_get(c, get, d, asio::as_tuple(asio::use_awaitable));  // settle off
      out.off = e3;
      co_return out;
    });
    CHECK(r.before == errc::not_found);
    CHECK(!r.fresh);
    CHECK(r.fresh_attempts == 3);
    CHECK(r.other == errc::not_found);
    CHECK(r.other_attempts == 1);
    CHECK(r.off == errc::not_found);
  }
}
