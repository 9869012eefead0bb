// TLS failure modes, each with its own error: unknown CA, wrong host name,
// expired certificate, a TLS 1.0/1.1-only server, a handshake that never
// completes; and plain http:// only by opt-in, only to loopback.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <doctest/doctest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <stdexcept>
#include <thread>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct outcome {
  error_code ec;
  diagnostics diag;
  std::chrono::steady_clock::duration took{};
};

outcome get_clouds(client_options opts) {
  asio::io_context io;
  opts.retry.max_attempts = 1;
  client c(io.get_executor(), opts);
  outcome o;
  auto t0 = std::chrono::steady_clock::now();
  o.ec = test::run(io, [&]() -> asio::awaitable<error_code> {
    auto [ec, r] = co_await c.async_request(raw_request::get("/v1/clouds"), o.diag, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  });
  o.took = std::chrono::steady_clock::now() - t0;
  return o;
}

int ssl_reason(const error_code& ec) { return ERR_GET_REASON(static_cast<unsigned long>(ec.value())); }

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("hardening.tls") {
  TEST_CASE("unknown CA: certificate verify failed, nothing sent") {
    sim::simulator sim;
    sim::simulator other;
    auto opts = test::sim_options(sim);
    opts.ca_pem = other.ca_pem();
    auto o = get_clouds(opts);
    REQUIRE(o.ec.category() == asio::error::get_ssl_category());
    CHECK(ssl_reason(o.ec) == SSL_R_CERTIFICATE_VERIFY_FAILED);
    CHECK(o.diag.attempts == 1);  // counted before opening; it ended there, unretried
    INFO(o.diag.client_message);
    CHECK(contains(o.diag.client_message, "certificate verify failed"));
    CHECK(contains(o.diag.client_message, "local issuer certificate"));
    CHECK(sim.requests_received() == 0);
  }

  TEST_CASE("wrong host name: the certificate names another host") {
    sim::simulator sim(sim::simulator_options{.tls = sim::tls_variant::wrong_host_name});
    auto o = get_clouds(test::sim_options(sim));
    REQUIRE(o.ec.category() == asio::error::get_ssl_category());
    CHECK(ssl_reason(o.ec) == SSL_R_CERTIFICATE_VERIFY_FAILED);
    INFO(o.diag.client_message);
    CHECK(contains(o.diag.client_message, "certificate verify failed"));
    CHECK(contains(o.diag.client_message, "127.0.0.1"));
    CHECK(contains(o.diag.client_message, "IP address mismatch"));
    CHECK(sim.requests_received() == 0);

    // By name: a DNS name mismatch.
    auto by_name = test::sim_options(sim);
    by_name.base_url = "https://localhost:" + std::to_string(sim.port());
    auto n = get_clouds(by_name);
    CHECK(ssl_reason(n.ec) == SSL_R_CERTIFICATE_VERIFY_FAILED);
    CHECK(contains(n.diag.client_message, "hostname mismatch"));

    // The server itself works: without verification the call goes through.
    auto opts = test::sim_options(sim);
    opts.verify_peer = false;
    CHECK_FALSE(get_clouds(opts).ec);
  }

  TEST_CASE("expired certificate") {
    sim::simulator sim(sim::simulator_options{.tls = sim::tls_variant::expired_certificate});
    auto o = get_clouds(test::sim_options(sim));
    REQUIRE(o.ec.category() == asio::error::get_ssl_category());
    CHECK(ssl_reason(o.ec) == SSL_R_CERTIFICATE_VERIFY_FAILED);
    INFO(o.diag.client_message);
    CHECK(contains(o.diag.client_message, "certificate has expired"));
    CHECK(sim.requests_received() == 0);
  }

  TEST_CASE("a server that speaks only TLS 1.0/1.1 is refused (TLS 1.2 minimum)") {
    sim::simulator sim(sim::simulator_options{.tls = sim::tls_variant::legacy_tls_only});
    auto o = get_clouds(test::sim_options(sim));
    REQUIRE(o.ec.category() == asio::error::get_ssl_category());
    INFO(o.diag.client_message);
    const int r = ssl_reason(o.ec);
    CHECK((r == SSL_R_UNSUPPORTED_PROTOCOL || r == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
           r == SSL_R_NO_PROTOCOLS_AVAILABLE));
    CHECK(contains(o.diag.client_message, "TLS handshake"));
    CHECK(sim.tls_handshakes() == 0);
    CHECK(sim.requests_received() == 0);
  }

  TEST_CASE("a server that accepts TCP and never answers the handshake: errc::timeout at connect_timeout") {
    sim::simulator sim(sim::simulator_options{.tls = sim::tls_variant::no_handshake});
    auto opts = test::sim_options(sim);
    opts.connect_timeout = 400ms;
    auto o = get_clouds(opts);
    CHECK(o.ec == errc::timeout);
    INFO(o.diag.client_message);
    CHECK(contains(o.diag.client_message, "TLS handshake"));
    CHECK(contains(o.diag.client_message, "timed out"));
    CHECK(o.took >= 350ms);
    CHECK(o.took < 3s);
    CHECK(sim.connections_accepted() >= 1);
    CHECK(sim.tls_handshakes() == 0);
  }

  TEST_CASE("plain http:// is refused unless opted in, and then only to loopback") {
    asio::io_context io;
    CHECK_THROWS_AS(client(io.get_executor(), client_options{.base_url = "http://127.0.0.1:1"}), std::invalid_argument);
    CHECK_THROWS_AS(client(io.get_executor(), client_options{.base_url = "http://api.aiven.io", .allow_insecure_http = true}),
                    std::invalid_argument);
    CHECK_THROWS_AS(client(io.get_executor(), client_options{.base_url = "http://10.0.0.1:80", .allow_insecure_http = true}),
                    std::invalid_argument);
    CHECK_NOTHROW(client(io.get_executor(), client_options{.base_url = "http://localhost:1", .allow_insecure_http = true}));
    CHECK_NOTHROW(client(io.get_executor(), client_options{.base_url = "http://[::1]:1", .allow_insecure_http = true}));

    // And it works: a plain server on 127.0.0.1 answers one request.
    asio::io_context sio;
    asio::ip::tcp::acceptor acc(sio, {asio::ip::make_address("127.0.0.1"), 0});
    std::thread server([&] {
      auto s = acc.accept();
      asio::streambuf buf;
      asio::read_until(s, buf, "\r\n\r\n");
      static constexpr std::string_view answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
      asio::write(s, asio::buffer(answer));
    });
    auto opts = client_options{.base_url = "http://127.0.0.1:" + std::to_string(acc.local_endpoint().port()),
                               .allow_insecure_http = true};
    auto o = get_clouds(opts);
    server.join();
    CHECK_FALSE(o.ec);
    CHECK(o.diag.http_status == 200);
  }
}
