#include "core/call.hpp"
#include "core/url.hpp"

#include <aiven/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

using namespace aiven;

TEST_SUITE("core.error") {
  TEST_CASE("statuses map to their codes") {
    CHECK(errc_from_status(401) == errc::unauthorized);
    CHECK(errc_from_status(403) == errc::forbidden);
    CHECK(errc_from_status(404) == errc::not_found);
    CHECK(errc_from_status(409) == errc::conflict);
    CHECK(errc_from_status(422) == errc::bad_request);
    CHECK(errc_from_status(429) == errc::rate_limited);
    CHECK(errc_from_status(501) == errc::not_implemented);
    CHECK(errc_from_status(503) == errc::server_error);
    CHECK(errc_from_status(302) == errc::http_error);
  }
  TEST_CASE("retryable and connection-fatal classification") {
    CHECK(is_retryable(errc::rate_limited));
    CHECK(is_retryable(errc::server_error));
    CHECK(is_retryable(errc::not_implemented));
    CHECK_FALSE(is_retryable(errc::not_found));
    CHECK_FALSE(is_retryable(errc::bad_response));
    CHECK(is_retryable(boost::asio::error::connection_reset));
    CHECK_FALSE(is_fatal_for_connection(errc::not_found));
    CHECK(is_fatal_for_connection(errc::bad_response));
    CHECK(is_fatal_for_connection(boost::asio::error::eof));
    CHECK(error_code(errc::conflict).message() == "conflict");
    CHECK(std::string(error_code(errc::conflict).category().name()) == "aiven");
  }
}

TEST_SUITE("core.diagnostics") {
  TEST_CASE("to_string names operation, request, status and Aiven's message") {
    diagnostics d;
    d.operation = "ServiceGet";
    d.method = "GET";
    d.path = "/v1/project/p/service/s";
    d.http_status = 404;
    d.message = "Service does not exist";
    CHECK(d.to_string() == "ServiceGet GET /v1/project/p/service/s: HTTP 404: Service does not exist");
    api_error e(errc::not_found, d);
    CHECK(e.code() == errc::not_found);
    CHECK(std::string(e.what()).find("Service does not exist") != std::string::npos);
    CHECK(e.get_diagnostics().http_status == 404);
  }
}

TEST_SUITE("core.url") {
  TEST_CASE("path segments keep only unreserved characters") {
    CHECK(detail::encode_path_segment("my-project_1.x~") == "my-project_1.x~");
    CHECK(detail::encode_path_segment("a/b") == "a%2Fb");
    CHECK(detail::encode_path_segment("..") == "..");  // no '/' can follow it, so it stays one segment
    CHECK(detail::encode_path_segment("a?b#c%d") == "a%3Fb%23c%25d");
    CHECK(detail::encode_path_segment("x\r\ny z") == "x%0D%0Ay%20z");
    CHECK(detail::encode_path_segment("\xc3\xa9") == "%C3%A9");
  }
  TEST_CASE("query parameters are appended and encoded") {
    std::string t = "/v1/x";
    detail::append_query(t, "limit", "250");
    detail::append_query(t, "q", "a b&c");
    CHECK(t == "/v1/x?limit=250&q=a%20b%26c");
  }
  TEST_CASE("base URLs") {
    auto u = detail::parse_base_url("https://api.aiven.io");
    CHECK(u.tls);
    CHECK(u.host == "api.aiven.io");
    CHECK(u.port == "443");
    CHECK(u.host_header == "api.aiven.io");
    auto l = detail::parse_base_url("https://127.0.0.1:8443/");
    CHECK(l.port == "8443");
    CHECK(l.host_header == "127.0.0.1:8443");
    CHECK(l.path_prefix.empty());
    CHECK_THROWS_AS(detail::parse_base_url("http://127.0.0.1:4010"), std::invalid_argument);  // no opt-in
    CHECK(detail::parse_base_url("http://127.0.0.1:4010", true).tls == false);
    CHECK_THROWS_AS(detail::parse_base_url("http://api.aiven.io", true), std::invalid_argument);
    CHECK_THROWS_AS(detail::parse_base_url("ftp://x"), std::invalid_argument);
    CHECK_THROWS_AS(detail::parse_base_url("not a url"), std::invalid_argument);
  }
}

TEST_SUITE("core.client") {
  TEST_CASE("options from the environment") {
    ::setenv("AIVEN_TOKEN", "tok123", 1);
    ::setenv("AIVEN_WEB_URL", "https://example.test:9443", 1);
    auto o = client_options::from_env();
    CHECK(o.token == "tok123");
    CHECK(o.base_url == "https://example.test:9443");
    ::unsetenv("AIVEN_TOKEN");
    ::unsetenv("AIVEN_WEB_URL");
    auto d = client_options::from_env();
    CHECK(d.token.empty());
    CHECK(d.base_url == "https://api.aiven.io");
    CHECK(d.user_agent.rfind("aiven-cpp/", 0) == 0);
  }
  TEST_CASE("header injection through the token is refused") {
    boost::asio::io_context io;
    client_options o;
    o.token = "abc\r\nX-Evil: 1";
    CHECK_THROWS_AS(client(io.get_executor(), o), std::invalid_argument);
  }
  TEST_CASE("a raw path with CR/LF fails with invalid_argument and sends nothing") {
    boost::asio::io_context io;
    client c(io.get_executor(), client_options{.base_url = "https://127.0.0.1:1"});
    diagnostics diag;
    error_code ec;
    bool called = false;
    c.async_request(raw_request{.path = "/v1/x\r\nHost: evil"}, diag, [&](error_code e, raw_response) {
      ec = e;
      called = true;
    });
    CHECK_FALSE(called);  // never completes inside the initiating call
    io.run();
    CHECK(called);
    CHECK(ec == errc::invalid_argument);
    CHECK(c.stats().connections_opened == 0);
    CHECK(diag.client_message.find("control characters") != std::string::npos);
  }
}
