// Hostile input: path parameters that try to leave their segment, header
// values with CR/LF, oversized response bodies, a server that trickles.
#include "support/run.hpp"

#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> split_path(std::string_view target) {
  std::vector<std::string> out;
  target = target.substr(0, target.find('?'));
  std::size_t start = 1;  // after the leading '/'
  for (;;) {
    auto slash = target.find('/', start);
    out.emplace_back(target.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_unreserved_or_escape(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
         ch == '_' || ch == '~' || ch == '%';
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct raw_outcome {
  error_code ec;
  raw_response resp;
  diagnostics diag;
  std::chrono::steady_clock::duration took{};
};

raw_outcome raw_get(const client_options& opts, std::string path = "/v1/project/demo") {
  asio::io_context io;
  client c(io.get_executor(), opts);
  raw_outcome o;
  auto t0 = std::chrono::steady_clock::now();
  test::run(io, [&]() -> asio::awaitable<void> {
    auto [ec, r] = co_await c.async_request(raw_request::get(path), o.diag, asio::as_tuple(asio::use_awaitable));
    o.ec = ec;
    o.resp = std::move(r);
  });
  o.took = std::chrono::steady_clock::now() - t0;
  return o;
}

}  // namespace

TEST_SUITE("hardening.input") {
  TEST_CASE("path parameters are one segment each, whatever they contain") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    const std::vector<std::string> hostile = {
        "a/b", "..", ".", "../../v1/clouds", "?x=1", "#frag", "100%", "%2F", "cr\r\nInjected: yes", "with space",
        "tab\there", "ünïcødé-名前", std::string("nul\0byte", 8), "a;b,c=d&e+f", "~user", "", "'\"<>\\`{}|^"};
    for (const auto& value : hostile) {
      CAPTURE(value);
      sim.clear_requests();
      auto req = api::service_get_request{.project = value, .service_name = value};
      diagnostics diag;
      auto [ec, s] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, api::service_get_out>> {
        co_return co_await api::async_service_get(c, req, diag, asio::as_tuple(asio::use_awaitable));
      });
      CHECK(ec);  // there is no such project: 404 (or 400 for what the route cannot take)
      CHECK(ec.category() == aiven_category());
      if (value.empty() || value == "." || value == "..") {
        // Behind a normalising hop these would name another resource: refused, nothing sent.
        CHECK(ec == errc::invalid_argument);
        CHECK(sim.requests().empty());
        continue;
      }
      auto recorded = sim.requests();
      REQUIRE(recorded.size() == 1);
      const std::string& target = recorded[0].target;
      CAPTURE(target);
      CHECK(target.find_first_of("?# \r\n\t") == std::string::npos);
      auto segs = split_path(target);
      REQUIRE(segs.size() == 5);  // v1 / project / <project> / service / <service_name>
      CHECK(segs[0] == "v1");
      CHECK(segs[1] == "project");
      CHECK(segs[3] == "service");
      for (int i : {2, 4}) {
        for (char ch : segs[i]) CHECK(is_unreserved_or_escape(ch));
        CHECK(percent_decode(segs[i]) == value);
      }
    }
  }

  TEST_CASE("query values are encoded; CR/LF in header values or the path is refused") {
    sim::simulator sim;
    {
      asio::io_context io;
      CHECK_THROWS_AS(client(io.get_executor(), client_options{.token = "tok\r\nX-Evil: 1"}), std::invalid_argument);
      CHECK_THROWS_AS(client(io.get_executor(), client_options{.token = "tok\nX"}), std::invalid_argument);
      CHECK_THROWS_AS(client(io.get_executor(), client_options{.user_agent = "ua\r\nX-Evil: 1"}), std::invalid_argument);
    }
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    auto send = [&](raw_request req) {
      diagnostics diag;
      return test::run(io, [&]() -> asio::awaitable<error_code> {
        auto [ec, r] = co_await c.async_request(std::move(req), diag, asio::as_tuple(asio::use_awaitable));
        co_return ec;
      });
    };
    auto bad_ct = raw_request::post("/v1/project", "{}");
    bad_ct.content_type = "application/json\r\nX-Evil: 1";
    CHECK(send(bad_ct) == errc::invalid_argument);
    auto bad_accept = raw_request::get("/v1/clouds");
    bad_accept.accept = "*/*\r\n\r\nGET /v1/clouds HTTP/1.1";
    CHECK(send(bad_accept) == errc::invalid_argument);
    CHECK(send(raw_request::get("/v1/clouds\r\nX-Evil: 1")) == errc::invalid_argument);
    CHECK(send(raw_request::get("/v1/clouds HTTP/1.1\r\n")) == errc::invalid_argument);
    CHECK(sim.requests_received() == 0);  // nothing refused reached the server

    auto q = raw_request::get("/v1/clouds");
    q.query = {{"a b", "x\r\nX-Evil: 1&y=#z"}};
    CHECK_FALSE(send(q));
    auto recorded = sim.requests();
    REQUIRE(recorded.size() == 1);
    CHECK(recorded[0].target == "/v1/clouds?a%20b=x%0D%0AX-Evil%3A%201%26y%3D%23z");
  }

  TEST_CASE("the default body cap is 64 MiB") { CHECK(client_options{}.max_body_size == 64u * 1024 * 1024); }

  TEST_CASE("a response announcing 10 GiB fails with body_too_large at once, nothing buffered") {
    sim::simulator sim;
    sim.inject(sim::fault{.kind = sim::fault_kind::raw_response,
                          .body = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 10737418240\r\n\r\n" + std::string(100000, 'x')});
    auto opts = test::sim_options(sim);
    opts.retry.max_attempts = 1;
    const long before = rss_kib();
    auto o = raw_get(opts);
    CHECK(o.ec == errc::body_too_large);
    CHECK(o.diag.client_message.find("larger than") != std::string::npos);
    CHECK(o.took < 5s);
    CHECK(rss_kib() - before < 32 * 1024);
  }

  TEST_CASE("a chunked body that grows past the cap fails with body_too_large") {
    sim::simulator sim;
    std::string chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) chunked += "400\r\n" + std::string(0x400, 'a') + "\r\n";
    chunked += "0\r\n\r\n";
    auto opts = test::sim_options(sim);
    opts.retry.max_attempts = 1;
    opts.max_body_size = 4096;
    sim.inject(sim::fault{.kind = sim::fault_kind::raw_response, .body = chunked});
    CHECK(raw_get(opts).ec == errc::body_too_large);
    // Under the cap the same encoding is read whole.
    opts.max_body_size = 8192;
    sim.inject(sim::fault{.kind = sim::fault_kind::raw_response, .body = chunked});
    auto o = raw_get(opts);
    CHECK_FALSE(o.ec);
    CHECK(o.resp.body.size() == 8192);
  }

  TEST_CASE("a server that trickles one byte a second cannot hold a call past its deadline") {
    sim::simulator sim;
    sim.inject(sim::fault{.kind = sim::fault_kind::trickle, .delay = 1000ms});
    auto opts = test::sim_options(sim);
    opts.request_timeout = 2s;
    auto o = raw_get(opts);
    CHECK(o.ec == errc::timeout);
    CHECK(o.took >= 1900ms);
    CHECK(o.took < 3s);
    CHECK(sim.faults_injected() == 1);
  }

  TEST_CASE("malformed status lines and headers are bad responses, not crashes") {
    sim::simulator sim;
    auto opts = test::sim_options(sim);
    opts.retry.max_attempts = 1;
    for (const char* raw : {"HTTP/1.1 abc OK\r\n\r\n", "HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n",
                            "garbage\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                            "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"}) {
      CAPTURE(raw);
      sim.inject(sim::fault{.kind = sim::fault_kind::raw_response, .body = raw});
      auto o = raw_get(opts);
      CHECK(o.ec);
      CHECK(o.took < 5s);
    }
  }
}
