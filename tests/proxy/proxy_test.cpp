// The HTTPS proxy: CONNECT tunnels through tinyproxy on loopback (started by
// run.sh), Basic credentials from the URL, NO_PROXY, typed refusals.
#include "support/run.hpp"

#include <aiven/api/project.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set: run this test through tests/proxy/run.sh");
  return v;
}

// CONNECT requests to `target` ("127.0.0.1:PORT") in tinyproxy's log, whose lines read
// `CONNECT   <date> [pid]: Request (file descriptor 5): CONNECT 127.0.0.1:PORT HTTP/1.1`.
std::size_t connects_logged(const std::string& log, const std::string& target) {
  std::ifstream in(log);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line))
    if (line.find("): CONNECT " + target + " HTTP/") != std::string::npos) ++n;
  return n;
}

std::uint16_t sim_port() { return static_cast<std::uint16_t>(std::stoi(env("AIVEN_TEST_SIM_PORT"))); }

struct result {
  error_code ec;
  diagnostics diag;
  std::size_t projects = 0;
};

// `n` sequential project lists.
result list_projects(client& c, asio::io_context& io, int n = 1) {
  return test::run(io, [&]() -> asio::awaitable<result> {
    result r;
    const api::project_list_request list{};
    for (int i = 0; i < n && !r.ec; ++i) {
      auto [ec, out] = co_await api::async_project_list(c, list, r.diag, asio::as_tuple(asio::use_awaitable));
      r.ec = ec;
      r.projects = out.projects.size();
    }
    co_return r;
  });
}

}  // namespace

TEST_SUITE("proxy") {
  TEST_CASE("the proxy carries every connection; NO_PROXY bypasses it") {
    sim::simulator sim({.port = sim_port()});
    const std::string target = "127.0.0.1:" + std::to_string(sim.port());
    const std::string log = env("AIVEN_TEST_PROXY_LOG");
    const std::size_t before = connects_logged(log, target);

    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.proxy = env("AIVEN_TEST_PROXY");
    opts.pool.max_connections = 2;
    client c(io.get_executor(), opts);
    auto r = list_projects(c, io, 5);
    REQUIRE_MESSAGE(!r.ec, r.diag.to_string());
    CHECK(r.projects == 1);
    CHECK(sim.executed("GET", "/v1/project") == 5);
    c.close_idle();
    sim.close_idle_connections();
    // One more connection after the idle one was closed: two tunnels in all.
    r = list_projects(c, io, 1);
    REQUIRE_MESSAGE(!r.ec, r.diag.to_string());
    CHECK(c.stats().connections_opened == 2);
    CHECK(sim.tls_handshakes() == 2);
    CHECK(connects_logged(log, target) - before == 2);

    // The same through the environment, with NO_PROXY naming the host.
    ::setenv("HTTPS_PROXY", opts.proxy.c_str(), 1);
    ::setenv("NO_PROXY", "localhost,127.0.0.1", 1);
    auto from_env = client_options::from_env();
    ::unsetenv("HTTPS_PROXY");
    ::unsetenv("NO_PROXY");
    CHECK(from_env.proxy == opts.proxy);
    from_env.base_url = sim.base_url();
    from_env.token = sim.token();
    from_env.ca_pem = sim.ca_pem();
    client direct(io.get_executor(), from_env);
    r = list_projects(direct, io, 3);
    REQUIRE_MESSAGE(!r.ec, r.diag.to_string());
    CHECK(sim.executed("GET", "/v1/project") == 9);
    CHECK(connects_logged(log, target) - before == 2);  // unchanged: it went direct
  }

  TEST_CASE("a CONNECT the proxy does not allow is errc::proxy_refused, nothing reaches the API") {
    sim::simulator sim;  // an ephemeral port, not the one the proxy allows
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.proxy = env("AIVEN_TEST_PROXY");
    client c(io.get_executor(), opts);
    auto r = list_projects(c, io);
    CHECK(r.ec == errc::proxy_refused);
    CHECK(r.diag.client_message.find("HTTP 403") != std::string::npos);
    CHECK(r.diag.attempts == 1);  // one attempt, ended at the tunnel: no request was sent
    CHECK(c.stats().retries == 0);  // and the refusal was not retried
    CHECK(sim.requests_received() == 0);
  }

  TEST_CASE("proxy credentials from the URL; wrong or missing ones are errc::proxy_auth_required") {
    sim::simulator sim;
    const std::string port = env("AIVEN_TEST_AUTH_PROXY_PORT");
    asio::io_context io;
    for (std::string cred : {"", "aiven:wrong@", "aiven:s3cr3t-pw@"}) {
      CAPTURE(cred);
      auto opts = test::sim_options(sim);
      opts.proxy = "http://" + cred + "127.0.0.1:" + port;
      client c(io.get_executor(), opts);
      auto r = list_projects(c, io);
      if (cred == "aiven:s3cr3t-pw@") {
        CHECK_MESSAGE(!r.ec, r.diag.to_string());
        CHECK(r.projects == 1);
      } else {
        // tinyproxy: 407 without credentials, 401 with wrong ones.
        CHECK(r.ec == errc::proxy_auth_required);
        CHECK(r.diag.client_message.find(cred.empty() ? "HTTP 407" : "HTTP 401") != std::string::npos);
      }
    }
    CHECK(sim.executed("GET", "/v1/project") == 1);
    CHECK(connects_logged(env("AIVEN_TEST_AUTH_PROXY_LOG"), "127.0.0.1:" + std::to_string(sim.port())) >= 1);
  }

  TEST_CASE("the connect timeout covers the tunnel") {
    // A "proxy" that accepts connections and never answers.
    asio::io_context io;
    asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    sim::simulator sim;
    auto opts = test::sim_options(sim);
    opts.proxy = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
    opts.connect_timeout = 300ms;
    opts.retry.max_attempts = 1;
    client c(io.get_executor(), opts);
    auto t0 = std::chrono::steady_clock::now();
    auto r = list_projects(c, io);
    CHECK(r.ec == errc::timeout);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(sim.requests_received() == 0);
  }
}
