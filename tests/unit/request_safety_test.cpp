// What the client refuses to send, and what it refuses to show: path parameters that would
// address another resource, base URLs Boost.URL accepts but should not, credentials in paths,
// and the arithmetic of deadlines and server hints. No server: a refused port on 127.0.0.1
// shows that nothing was sent (a call that tried would fail with a connection error instead).
#include "core/client_impl.hpp"
#include "core/retry.hpp"
#include "core/url.hpp"

#include <aiven/api/service.hpp>
#include <aiven/api/users.hpp>
#include <aiven/client.hpp>
#include <aiven/observe.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using namespace aiven;
using namespace std::chrono_literals;
using boost::asio::ip::tcp;

namespace {

// Nothing listens there: an attempt fails at once with connection_refused.
client_options refused_options() {
  client_options o;
  o.base_url = "https://127.0.0.1:1";
  o.retry.max_attempts = 1;
  return o;
}

struct outcome {
  bool called = false;
  error_code ec;
};

}  // namespace

TEST_SUITE("request safety: path parameters") {
  TEST_CASE("check_path_params names an empty, '.' or '..' parameter") {
    using detail::check_path_params;
    const char* tpl = "/v1/project/{project}/service/{service_name}/user/{service_username}";
    CHECK(check_path_params(tpl, "/v1/project/demo/service/pg/user/avnadmin").empty());
    CHECK(check_path_params(tpl, "/v1/project/demo/service/pg/user/..x").empty());
    CHECK(check_path_params(tpl, "/v1/project/demo/service/pg/user/%2E%2E").empty());  // a literal "%2E%2E" value, encoded
    auto dots = check_path_params(tpl, "/v1/project/demo/service/pg/user/..");
    CHECK(dots.find("service_username") != std::string::npos);
    CHECK(dots.find("'..'") != std::string::npos);
    auto dot = check_path_params(tpl, "/v1/project/./service/pg/user/x");
    CHECK(dot.find("path parameter project is '.'") != std::string::npos);
    auto empty = check_path_params(tpl, "/v1/project/demo/service//user/x");
    CHECK(empty.find("path parameter service_name is empty") != std::string::npos);
    // the last segment empty, and a query after it
    CHECK(check_path_params("/v1/project/{project}", "/v1/project/?limit=1").find("project is empty") !=
          std::string::npos);
    CHECK(check_path_params("/v1/project/{project}", "/v1/project/p?x=..").empty());
  }

  TEST_CASE("check_raw_path refuses dot segments, also percent-encoded, and '//'") {
    using detail::check_raw_path;
    CHECK(check_raw_path("/v1/project/demo/service/pg").empty());
    CHECK(check_raw_path("/v1/project/").empty());  // a trailing '/' is the caller's business
    CHECK(check_raw_path("/v1/project/a.b/..c/...").empty());
    CHECK(check_raw_path("/v1/x?q=/../").empty());  // the query is not a path
    for (auto bad : {"/v1/project/demo/service/pg/user/..", "/v1/project/./x", "/v1/project/%2e%2E/x",
                     "/v1/project/.%2e", "/v1/project/%2E", "/v1/project//service/pg"})
      CHECK_MESSAGE(!check_raw_path(bad).empty(), bad);
  }

  TEST_CASE("a typed call with a '..', '.' or empty path parameter fails with invalid_argument and sends nothing") {
    for (std::string bad : {"..", ".", ""}) {
      CAPTURE(bad);
      boost::asio::io_context io;
      client c(io.get_executor(), refused_options());
      diagnostics diag;
      outcome out;
      api::async_service_user_delete(c, {.project = "demo", .service_name = "pg", .service_username = bad}, diag,
                                     [&](error_code ec, api::message_response) {
                                       out.called = true;
                                       out.ec = ec;
                                     });
      CHECK_FALSE(out.called);  // never inside the initiating call
      io.run();
      CHECK(out.called);
      CHECK(out.ec == errc::invalid_argument);
      CHECK(diag.client_message.find("service_username") != std::string::npos);
      CHECK(diag.operation == "ServiceUserDelete");
      CHECK(diag.attempts == 0);
      CHECK(c.stats().connections_opened == 0);
    }
  }

  TEST_CASE("a raw request with a dot segment fails with invalid_argument and sends nothing") {
    for (std::string path : {"/v1/project/demo/service/pg/user/..", "/v1/project/demo/service/pg/user/%2e%2e",
                             "/v1/project/demo/service/pg/user/%2E", "/v1/project//service/pg"}) {
      CAPTURE(path);
      boost::asio::io_context io;
      client c(io.get_executor(), refused_options());
      diagnostics diag;
      outcome out;
      c.async_request(raw_request::del(path), diag, [&](error_code ec, raw_response) {
        out.called = true;
        out.ec = ec;
      });
      CHECK_FALSE(out.called);
      io.run();
      CHECK(out.called);
      CHECK(out.ec == errc::invalid_argument);
      CHECK(diag.client_message.find("segment") != std::string::npos);
      CHECK(c.stats().connections_opened == 0);
    }
  }
}

TEST_SUITE("request safety: credentials in paths") {
  TEST_CASE("redact_target replaces the marked segments and still redacts the query") {
    CHECK(redact_target("/v1/user/password_reset/abc123", 1u << 3) == "/v1/user/password_reset/[REDACTED]");
    CHECK(redact_target("/v1/project/p/invite/c0de?token=t&limit=2", 1u << 4) ==
          "/v1/project/p/invite/[REDACTED]?token=[REDACTED]&limit=2");
    CHECK(redact_target("/v1/a/b", (1u << 1) | (1u << 2)) == "/v1/[REDACTED]/[REDACTED]");
    CHECK(redact_target("/v1/a", 1u << 7) == "/v1/a");  // no such segment
    CHECK(redact_target("/v1/a?x=1", 0) == "/v1/a?x=1");
  }

  TEST_CASE("the generated operations mark their credential path parameters") {
    // Every place that shows the target: the attempt record, diagnostics::path, api_error::what().
    boost::asio::io_context io;
    auto opts = refused_options();
    std::vector<std::string> targets;
    opts.on_attempt = [&](const attempt_record& r) {
      targets.emplace_back(r.target);
      targets.back() += " | " + format_attempt(r);
    };
    client c(io.get_executor(), opts);
    diagnostics reset_diag, credit_diag;
    api::async_user_password_reset(c, {.verification_code = "S3CRET-RESET", .body = {}}, reset_diag,
                                   [](error_code, api::message_response) {});
    api::async_validate_credit_code(c, {.credit_code = "S3CRET-CREDIT"}, credit_diag,
                                    [](error_code, api::message_response) {});
    // The default token: a failure is an api_error, whose what() shows the target.
    auto verify = api::async_user_verify_email(c, {.verification_code = "S3CRET-VERIFY"})(boost::asio::use_future);
    io.run();
    REQUIRE(targets.size() == 3);
    for (auto& t : targets) {
      CHECK_MESSAGE(t.find("S3CRET") == std::string::npos, t);
      CHECK_MESSAGE(t.find("[REDACTED]") != std::string::npos, t);
    }
    CHECK(reset_diag.path == "/v1/user/password_reset/[REDACTED]");
    CHECK(credit_diag.path == "/v1/user/credit_code/[REDACTED]");
    CHECK(reset_diag.to_string().find("S3CRET") == std::string::npos);
    try {
      verify.get();
      FAIL("the call should have failed");
    } catch (const api_error& e) {
      std::string what = e.what();
      CHECK_MESSAGE(what.find("S3CRET") == std::string::npos, what);
      CHECK_MESSAGE(what.find("/v1/user/verify_email/[REDACTED]") != std::string::npos, what);
      CHECK(e.get_diagnostics().path == "/v1/user/verify_email/[REDACTED]");
    }
  }

  TEST_CASE("a raw request marks its own credential segments") {
    boost::asio::io_context io;
    auto opts = refused_options();
    std::string target;
    opts.on_attempt = [&](const attempt_record& r) { target = r.target; };
    client c(io.get_executor(), opts);
    auto req = raw_request::post("/v1/user/verify_email/S3CRET", "");
    req.secret_segments = 1u << 3;
    diagnostics diag;
    c.async_request(std::move(req), diag, [](error_code, raw_response) {});
    io.run();
    CHECK(target == "/v1/user/verify_email/[REDACTED]");
    CHECK(diag.path == "/v1/user/verify_email/[REDACTED]");
  }
}

TEST_SUITE("request safety: base URLs") {
  TEST_CASE("the loopback check parses the address") {
    using detail::is_loopback_host;
    for (auto h : {"localhost", "LocalHost", "127.0.0.1", "127.9.8.7", "::1", "[::1]"}) CHECK_MESSAGE(is_loopback_host(h), h);
    for (auto h : {"127.evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.1", "::2", "127.1", ""})
      CHECK_MESSAGE(!is_loopback_host(h), h);
    CHECK_THROWS_AS(detail::parse_base_url("http://127.evil.example", true), std::invalid_argument);
    CHECK_THROWS_AS(detail::parse_base_url("http://127.evil.example:8080", true), std::invalid_argument);
    CHECK(detail::parse_base_url("http://localhost:8080", true).host == "localhost");
    CHECK(detail::parse_base_url("http://[::1]:8080", true).host_header == "[::1]:8080");
  }

  TEST_CASE("garbage after the authority, bad ports and credentials are refused") {
    for (auto bad : {"http://127.0.0.1.evil.example:8080", "https://api.aiven.io:443x", "https://host:",
                     "https://host:99999", "https://host:0", "https://host:65536", "https://user:pw@api.aiven.io",
                     "https://user@api.aiven.io", "https://api.aiven.io:+443", "https://api.aiven.io:0443x/v1"}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(detail::parse_base_url(bad, true), std::invalid_argument);
    }
    try {
      detail::parse_base_url("https://user:hunter2@api.aiven.io");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("hunter2") == std::string::npos);  // not echoed
    }
    auto u = detail::parse_base_url("https://api.aiven.io:65535/api/");
    CHECK(u.port == "65535");
    CHECK(u.path_prefix == "/api");
    CHECK(detail::parse_base_url("https://api.aiven.io:443").host_header == "api.aiven.io:443");
    CHECK_THROWS_AS(detail::parse_proxy_url("http://proxy:"), std::invalid_argument);
    CHECK_THROWS_AS(detail::parse_proxy_url("http://proxy:3128x"), std::invalid_argument);
  }

  TEST_CASE("a plain http:// base URL is never tunnelled through the HTTPS proxy") {
    using detail::should_proxy;
    auto local = detail::parse_base_url("http://127.0.0.1:8080", true);
    auto api = detail::parse_base_url("https://api.aiven.io");
    CHECK_FALSE(should_proxy(local, "http://proxy:3128", ""));
    CHECK(should_proxy(api, "http://proxy:3128", ""));
    CHECK_FALSE(should_proxy(api, "", ""));
    CHECK_FALSE(should_proxy(api, "http://proxy:3128", ".aiven.io"));
    // and the client built from such options connects directly
    boost::asio::io_context io;
    client_options o;
    o.base_url = "http://127.0.0.1:8080";
    o.allow_insecure_http = true;
    o.proxy = "http://127.0.0.1:3128";
    client c(io.get_executor(), o);
    CHECK(c.impl().endpoint().proxy_host.empty());
    o.base_url = "https://api.aiven.io";
    client tunnelled(io.get_executor(), o);
    CHECK(tunnelled.impl().endpoint().proxy_host == "127.0.0.1");
  }
}

TEST_SUITE("request safety: deadlines and hints") {
  using detail::ms;
  using detail::steady;

  TEST_CASE("deadline_after saturates") {
    auto now = steady::now();
    CHECK(detail::deadline_after(now, ms::max()) == steady::time_point::max());
    CHECK(detail::deadline_after(now, ms(std::numeric_limits<ms::rep>::max() / 2)) == steady::time_point::max());
    CHECK(detail::deadline_after(now, 1500ms) == now + 1500ms);
    CHECK(detail::deadline_after(now, 0ms) == now);
    CHECK(detail::deadline_after(now, -5ms) == now);
  }

  TEST_CASE("a call with timeout milliseconds::max() has no deadline, it does not time out at once") {
    // A one-shot HTTP server on 127.0.0.1: answers one request with 200 {}.
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket peer(io);
    std::string request;
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    acceptor.async_accept(peer, [&](error_code ec) {
      if (ec) return;
      boost::asio::async_read_until(peer, boost::asio::dynamic_buffer(request), "\r\n\r\n", [&](error_code rec, std::size_t) {
        if (!rec) boost::asio::async_write(peer, boost::asio::buffer(response), [](error_code, std::size_t) {});
      });
    });
    client_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    o.allow_insecure_http = true;
    o.retry.max_attempts = 1;
    client c(io.get_executor(), o);
    diagnostics diag;
    outcome out;
    c.with({.timeout = ms::max()}).async_request(raw_request::get("/v1/project"), diag, [&](error_code ec, raw_response) {
      out.called = true;
      out.ec = ec;
    });
    io.run();
    CHECK(out.called);
    CHECK_MESSAGE(!out.ec, diag.to_string());
    CHECK(diag.http_status == 200);
    CHECK(request.starts_with("GET /v1/project HTTP/1.1"));
  }

  TEST_CASE("server hints are clamped to a year, as Retry-After is") {
    const ms year = std::chrono::hours(24 * 365);
    CHECK(detail::parse_try_again_hint("Rate limit exceeded, try again in 200000000m") == year);
    CHECK(detail::parse_try_again_hint("try again in 99999999999999999999s") == year);
    CHECK(detail::parse_try_again_hint("try again in 999999999ms") == ms(999999999));
    CHECK(detail::parse_try_again_hint("try again in 3m") == ms(180000));
    CHECK(detail::parse_retry_after("999999999", std::chrono::system_clock::now()) == year);
    CHECK(detail::parse_retry_after("86400", std::chrono::system_clock::now()) == ms(86400000));
    // and the clock can take it: the retry is a year away, not in the past
    auto now = steady::now();
    CHECK(now + *detail::parse_try_again_hint("try again in 200000000m") > now + std::chrono::hours(24 * 364));
  }
}
