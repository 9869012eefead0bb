// gzip on the wire: asked for by default (and not when turned off), inflated as it
// arrives, bounded by max_body_size after inflating, and refused when it is not
// gzip after all; the connection stays usable after a good compressed answer.
#include "core/gzip.hpp"
#include "support/scripted_server.hpp"

#include <aiven/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::response;
using test::scripted_server;

namespace {

using result = std::tuple<error_code, raw_response>;

client_options gz_options(const scripted_server& s) {
  client_options o;
  o.base_url = s.base_url();
  o.allow_insecure_http = true;
  o.token = "wire-test-token";
  o.request_timeout = 5s;
  o.retry.initial_backoff = 1ms;
  o.retry.max_backoff = 5ms;
  o.retry.max_attempts = 1;
  return o;
}

result get(client_options o, const std::string& path, diagnostics& d) {
  asio::io_context io;
  client c(io.get_executor(), o);
  auto fut = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<result> {
        co_return co_await c.async_request(raw_request::get(path), d, asio::as_tuple(asio::use_awaitable));
      },
      asio::use_future);
  io.run();
  return fut.get();
}

std::string catalogue() {
  std::string s = R"({"clouds":[)";
  for (int i = 0; i < 3000; ++i)
    s += (i ? "," : "") + std::string(R"({"cloud_name":"aws-r)") + std::to_string(i) + R"(","geo_region":"europe"})";
  return s + "]}";
}

std::string gz_response(const std::string& gz) {
  return response(200, gz, {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
}

}  // namespace

TEST_SUITE("wire.gzip") {
  TEST_CASE("asked for by default; a gzip answer arrives inflated, its encoding headers gone, and the connection is reused") {
    const std::string plain = catalogue();
    const std::string gz = detail::gzip_compress(plain);
    scripted_server srv([&](const test::seen_request&) -> test::script { return {test::send(gz_response(gz))}; });
    auto o = gz_options(srv);
    std::mutex mu;
    std::vector<std::pair<std::size_t, std::size_t>> sizes;  // (inflated, on the wire)
    o.on_attempt = [&](const attempt_record& r) {
      std::lock_guard lk(mu);
      sizes.emplace_back(r.response_bytes, r.response_wire_bytes);
    };
    asio::io_context io;
    client c(io.get_executor(), o);
    diagnostics d1, d2;
    auto fut = asio::co_spawn(
        io,
        [&]() -> asio::awaitable<std::pair<result, result>> {
          auto a = co_await c.async_request(raw_request::get("/v1/clouds"), d1, asio::as_tuple(asio::use_awaitable));
          auto b = co_await c.async_request(raw_request::get("/v1/clouds"), d2, asio::as_tuple(asio::use_awaitable));
          co_return std::pair{std::move(a), std::move(b)};
        },
        asio::use_future);
    io.run();
    auto [a, b] = fut.get();
    REQUIRE_FALSE(std::get<0>(a));
    REQUIRE_FALSE(std::get<0>(b));
    CHECK(std::get<1>(a).body == plain);
    CHECK(std::get<1>(b).body == plain);
    CHECK(std::get<1>(a).header("content-encoding") == nullptr);
    const auto seen = srv.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].header("accept-encoding") == "gzip");
    CHECK(seen[1].connection == 0);  // kept alive after an inflated answer
    std::lock_guard lk(mu);
    REQUIRE(sizes.size() == 2);
    CHECK(sizes[0].first == plain.size());
    CHECK(sizes[0].second == gz.size());
    MESSAGE("gzip: " << plain.size() << " B inflated from " << gz.size() << " B on the wire");
  }

  TEST_CASE("accept_gzip = false sends no Accept-Encoding") {
    scripted_server srv([](const test::seen_request&) -> test::script { return {test::send(response(200, "{}"))}; });
    auto o = gz_options(srv);
    o.accept_gzip = false;
    diagnostics d;
    auto [ec, r] = get(o, "/v1/project", d);
    REQUIRE_FALSE(ec);
    REQUIRE(srv.requests().size() == 1);
    CHECK(srv.requests()[0].header("accept-encoding").empty());
  }

  TEST_CASE("a gzip bomb is body_too_large at max_body_size, not memory exhaustion") {
    const std::string gz = detail::gzip_compress(std::string(32u << 20, 'a'));
    REQUIRE(gz.size() < (1u << 20));  // the bytes on the wire are under the limit
    scripted_server srv([&](const test::seen_request&) -> test::script { return {test::send(gz_response(gz))}; });
    auto o = gz_options(srv);
    o.max_body_size = 1u << 20;
    diagnostics d;
    auto [ec, r] = get(o, "/v1/clouds", d);
    CHECK(ec == errc::body_too_large);
    CHECK(r.body.size() <= (1u << 20));
  }

  TEST_CASE("a body that says gzip and is not, or is cut before its trailer, is bad_response") {
    const std::string gz = detail::gzip_compress(catalogue());
    for (const std::string& bytes : {std::string(R"({"clouds":[]})"), gz.substr(0, gz.size() - 8)}) {
      scripted_server srv([&](const test::seen_request&) -> test::script { return {test::send(gz_response(bytes))}; });
      diagnostics d;
      auto [ec, r] = get(gz_options(srv), "/v1/clouds", d);
      CHECK(ec == errc::bad_response);
      CHECK(r.body.empty());
    }
  }

  TEST_CASE("a plain answer to a client that asked for gzip is taken as it is") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::send(response(200, R"({"ok":true})", {{"Content-Type", "application/json"}}))};
    });
    diagnostics d;
    auto [ec, r] = get(gz_options(srv), "/v1/project", d);
    REQUIRE_FALSE(ec);
    CHECK(r.body == R"({"ok":true})");
  }
}
