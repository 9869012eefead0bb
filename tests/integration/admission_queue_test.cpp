// Calls beyond twice the pool size wait in the client's queue: in order,
// within their deadline, cancellable, counted as waiting.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using fk = sim::fault_kind;

namespace {

struct outcome {
  error_code ec;
  unsigned status = 0;
  double took = -1;
  diagnostics diag;
};

client_options one_connection(const sim::simulator& sim) {
  auto o = test::sim_options(sim);
  o.pool.max_connections = 1;  // two calls run, the rest queue
  o.single_flight = false;
  o.retry.max_attempts = 1;
  return o;
}

// Starts one GET per entry of `out`, all at once; call `cancelled` is bound to `cancel`.
void start_calls(client& c, std::vector<outcome>& out, std::size_t cancelled, asio::cancellation_signal& cancel,
                 std::chrono::steady_clock::time_point t0) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto done = [&out, i, t0](error_code ec, raw_response r) {
      out[i].ec = ec;
      out[i].status = r.status;
      out[i].took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    if (i == cancelled)
      c.async_request(raw_request::get("/v1/project"), out[i].diag, asio::bind_cancellation_slot(cancel.slot(), done));
    else
      c.async_request(raw_request::get("/v1/project"), out[i].diag, done);
  }
}

}  // namespace

TEST_CASE("queued calls time out at their own deadline while the pool is busy") {
  sim::simulator sim;
  sim.inject({.kind = fk::slow_headers, .delay = 1500ms, .count = 2});
  asio::io_context io;
  client c(io.get_executor(), one_connection(sim));
  auto short_deadline = c.with(call_options{.timeout = 300ms});
  std::vector<outcome> out(5);
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < out.size(); ++i) {
    // Calls 0 and 1 run (and meet the slow answers); 2..4 queue, and 3 has a short deadline.
    auto& cl = i == 3 ? short_deadline : c;
    cl.async_request(raw_request::get("/v1/project"), out[i].diag, [&, i](error_code ec, raw_response r) {
      out[i].ec = ec;
      out[i].status = r.status;
      out[i].took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    });
  }
  asio::steady_timer probe(io, 100ms);
  std::size_t waiting_seen = 0;
  probe.async_wait([&](error_code) { waiting_seen = c.stats().waiting; });
  io.run();
  CHECK(waiting_seen == 4);  // one waits for the connection, three in the queue
  CHECK(out[3].ec == errc::timeout);
  CHECK(out[3].took >= 0.29);
  CHECK(out[3].took < 0.8);
  CHECK(out[3].diag.client_message.find("no connection became free") != std::string::npos);
  CHECK(out[3].diag.path == "/v1/project");
  for (std::size_t i : {0u, 1u, 2u, 4u}) {
    CAPTURE(i);
    CHECK_FALSE(out[i].ec);
    CHECK(out[i].status == 200);
  }
  CHECK(c.stats().waiting == 0);
}

TEST_CASE("a queued call cancelled completes at once; the others are unaffected") {
  sim::simulator sim;
  sim.inject({.kind = fk::slow_headers, .delay = 800ms, .count = 1});
  asio::io_context io;
  client c(io.get_executor(), one_connection(sim));
  std::vector<outcome> out(4);
  asio::cancellation_signal cancel;
  start_calls(c, out, 2, cancel, std::chrono::steady_clock::now());
  asio::steady_timer t(io, 150ms);
  t.async_wait([&](error_code) { cancel.emit(asio::cancellation_type::terminal); });
  io.run();
  CHECK(out[2].ec == asio::error::operation_aborted);
  CHECK(out[2].took < 0.5);
  for (std::size_t i : {0u, 1u, 3u}) {
    CAPTURE(i);
    CHECK_FALSE(out[i].ec);
  }
  // The cancelled call never reached the server.
  CHECK(sim.executed("GET", "/v1/project") == 3);
}

TEST_CASE("many more calls than the pool: all complete, on at most pool-size connections") {
  sim::simulator sim;
  asio::io_context io;
  auto o = test::sim_options(sim);
  o.pool.max_connections = 4;
  o.single_flight = false;
  client c(io.get_executor(), o);
  std::vector<int> order;
  int failed = 0;
  for (int i = 0; i < 2000; ++i)
    c.async_request(raw_request::get("/v1/clouds"), [&, i](error_code ec, raw_response) {
      if (ec) ++failed;
      order.push_back(i);
    });
  io.run();
  CHECK(failed == 0);
  REQUIRE(order.size() == 2000);
  CHECK(sim.max_open_connections() <= 4);
  CHECK(c.stats().waiting == 0);
}

TEST_CASE("a call cancelled after it left the queue is cancelled where it runs") {
  sim::simulator sim;
  sim.inject({.kind = fk::slow_headers, .delay = 600ms, .count = 3});
  asio::io_context io;
  client c(io.get_executor(), one_connection(sim));
  std::vector<outcome> out(3);
  asio::cancellation_signal cancel;
  // Call 2 waits in the queue, starts when call 0 ends (0.6 s), is on the wire from 1.2 s.
  start_calls(c, out, 2, cancel, std::chrono::steady_clock::now());
  asio::steady_timer t(io, 1400ms);
  t.async_wait([&](error_code) { cancel.emit(asio::cancellation_type::terminal); });
  io.run();
  CHECK_FALSE(out[0].ec);
  CHECK_FALSE(out[1].ec);
  CHECK(out[2].ec == asio::error::operation_aborted);
  CHECK(out[2].took >= 1.35);
  CHECK(out[2].took < 1.75);  // not after its slow answer (1.8 s)
}
