// The token never appears in error messages, exception texts or diagnostics:
// every error path that can be provoked is swept with a recognisable token.
#include "support/run.hpp"

#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/observe.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr const char* token = "SECRET-TOKEN-123";
constexpr const char* wrong_token = "SECRET-TOKEN-999";

// Every text a failed call produces that a program might log.
struct sweep {
  std::mutex mu;  // the hook may run on any thread running the io_context
  std::vector<std::string> texts;

  // The attempt hook as a program would log it: format_attempt, plus the
  // (redacted) bodies it is given.
  void hook(const attempt_record& r) {
    std::lock_guard lk(mu);
    texts.push_back(format_attempt(r));
    texts.emplace_back(r.target);
    texts.emplace_back(r.request_body);
    texts.emplace_back(r.response_body);
    ++hook_calls;
  }
  std::size_t hook_calls = 0;
  std::set<int> seen;  // errc values (or -1 for other categories) provoked

  void add(const error_code& ec, const diagnostics& d) {
    texts.push_back(ec.message());
    texts.push_back(d.to_string());
    texts.push_back(d.client_message);
    texts.push_back(d.path);
    texts.push_back(d.message);
    for (auto& e : d.errors) texts.push_back(e.message + e.more_info + e.error_code);
    seen.insert(ec.category() == aiven_category() ? ec.value() : -1);
  }

  // The raw layer with a diagnostics, then the typed layer with the default
  // token (which throws api_error).
  void call(const client_options& opts, const std::function<void(sim::simulator&)>& arrange, sim::simulator& sim,
            raw_request req = raw_request::get("/v1/project/demo/service"), bool raw_fails = true) {
    asio::io_context io;
    client c(io.get_executor(), opts);
    arrange(sim);
    diagnostics d;
    auto ec = test::run(io, [&]() -> asio::awaitable<error_code> {
      auto [e, r] = co_await c.async_request(std::move(req), d, asio::as_tuple(asio::use_awaitable));
      texts.push_back(r.body);
      for (auto& [k, v] : r.headers) texts.push_back(k + ": " + v);
      co_return e;
    });
    if (raw_fails) {
      CHECK(ec);
      add(ec, d);
    }

    sim.clear_faults();
    arrange(sim);
    try {
      test::run(io, [&]() -> asio::awaitable<void> {
        auto r = api::service_get_request{.project = "demo", .service_name = "nope"};
        (void)co_await api::async_service_get(c, r);
      });
      FAIL("no exception");
    } catch (const api_error& e) {
      texts.push_back(e.what());
      texts.push_back(e.code().message());
      add(e.code(), e.get_diagnostics());
    } catch (const std::exception& e) {
      texts.push_back(e.what());
    }
    sim.clear_faults();
  }
};

}  // namespace

TEST_SUITE("hardening.secrets") {
  TEST_CASE("no error path shows the token") {
    sim::simulator sim(sim::simulator_options{.tokens = {token}, .random_retry_after_s = 0});
    sim::simulator other;
    auto opts = test::sim_options(sim);
    REQUIRE(opts.token == token);
    opts.retry = retry_options{
        .max_attempts = 2, .initial_backoff = 1ms, .max_backoff = 2ms, .resume_spread = 1ms, .max_rate_limit_wait = 20ms};
    sweep s;
    opts.log_bodies = true;
    opts.on_attempt = [&s](const attempt_record& r) { s.hook(r); };
    auto none = [](sim::simulator&) {};
    auto inject = [](sim::fault f) { return [f](sim::simulator& sm) { sm.inject(f); }; };

    {  // 401: the wrong token
      auto o = opts;
      o.token = wrong_token;
      s.call(o, none, sim);
    }
    s.call(opts, inject({.kind = sim::fault_kind::status, .status = 403, .count = -1}), sim);
    s.call(opts, none, sim, raw_request::get("/v1/project/no-such-project"));  // 404
    s.call(opts, inject({.kind = sim::fault_kind::rate_limit, .retry_after_s = 0, .count = -1}), sim);  // 429 exhausted
    s.call(opts, inject({.kind = sim::fault_kind::status, .status = 503, .count = -1}), sim);
    s.call(opts, inject({.kind = sim::fault_kind::status, .status = 500, .count = -1}), sim);
    s.call(opts, inject({.kind = sim::fault_kind::malformed_json, .count = -1}), sim,
           raw_request::get("/v1/project/demo/service"), false);  // bad JSON: only the typed layer parses it
    s.call(opts, inject({.kind = sim::fault_kind::reset_before_headers, .count = -1}), sim,
           raw_request::post("/v1/project/demo/service", "{}"));  // connection reset, not retried
    s.call(opts, inject({.kind = sim::fault_kind::truncated_body, .count = -1}), sim);
    {  // a server echoing what it received, headers included, as a broken response
      s.call(opts,
             inject({.kind = sim::fault_kind::raw_response,
                     .body = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{\"message\":", .count = -1}),
             sim);
    }
    {  // timeout
      auto o = opts;
      o.request_timeout = 300ms;
      s.call(o, inject({.kind = sim::fault_kind::slow_headers, .delay = 2000ms, .count = -1}), sim);
    }
    {  // body too large
      auto o = opts;
      o.max_body_size = 8;
      s.call(o, none, sim, raw_request::get("/v1/clouds"));
    }
    {  // TLS failure
      auto o = opts;
      o.ca_pem = other.ca_pem();
      s.call(o, none, sim);
    }
    {  // invalid argument
      s.call(opts, none, sim, raw_request::get("no-leading-slash\r\n"));
    }
    for (errc e : {errc::unauthorized, errc::forbidden, errc::not_found, errc::rate_limited, errc::server_error,
                   errc::bad_response, errc::connection_lost, errc::timeout, errc::body_too_large,
                   errc::invalid_argument}) {
      CAPTURE(static_cast<int>(e));
      CHECK(s.seen.count(static_cast<int>(e)) == 1);
    }
    CHECK(s.seen.count(-1) == 1);  // the TLS failure
    CHECK(s.texts.size() > 100);
    CHECK(s.hook_calls >= 20);
    for (const auto& t : s.texts) {
      CAPTURE(t);
      CHECK(t.find("SECRET-TOKEN") == std::string::npos);
      CHECK(t.find("aivenv1") == std::string::npos);
    }
  }
}

TEST_SUITE("hardening.secrets") {
  TEST_CASE("a response fetched with include_secrets never reaches the attempt hook") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.log_bodies = true;
    std::vector<std::pair<std::string, std::string>> seen;  // target, response body
    opts.on_attempt = [&](const attempt_record& r) { seen.emplace_back(r.target, r.response_body); };
    client c(io.get_executor(), opts);
    test::run(io, [&]() -> asio::awaitable<void> {
      auto create = raw_request::post("/v1/project/demo/service",
                                      R"({"service_name":"pg1","service_type":"pg","plan":"hobbyist"})");
      (void)co_await c.async_request(std::move(create));
      auto plain = api::service_get_request{.project = "demo", .service_name = "pg1"};
      (void)co_await api::async_service_get(c, plain);
      auto secret = api::service_get_request{.project = "demo", .service_name = "pg1", .include_secrets = true};
      (void)co_await api::async_service_get(c, secret);
      auto raw_secret = raw_request::get("/v1/project/demo/service/pg1");
      raw_secret.query = {{"include_secrets", "true"}};
      (void)co_await c.async_request(std::move(raw_secret));
    });
    REQUIRE(seen.size() == 4);
    CHECK(seen[1].first == "/v1/project/demo/service/pg1");
    CHECK(seen[1].second.find("service_name") != std::string::npos);  // bodies are given otherwise
    for (std::size_t i : {2u, 3u}) {
      CAPTURE(seen[i].first);
      CHECK(seen[i].first.find("include_secrets") != std::string::npos);
      CHECK(seen[i].second.empty());
    }
  }
}
