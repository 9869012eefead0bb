// Test helpers: run a coroutine to completion on a fresh io_context.
#pragma once

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace aiven::test {

/// Runs `make(io)`'s awaitable on `io` until it finishes; rethrows its exception.
template <class F>
auto run(boost::asio::io_context& io, F&& make) {
  auto fut = boost::asio::co_spawn(io, std::forward<F>(make)(), boost::asio::use_future);
  io.restart();
  io.run();
  return fut.get();
}

/// A client for `sim`, trusting its CA.
inline client_options sim_options(const sim::simulator& sim) {
  client_options o;
  o.base_url = sim.base_url();
  o.token = sim.token();
  o.ca_pem = sim.ca_pem();
  o.request_timeout = std::chrono::seconds(20);
  return o;
}

}  // namespace aiven::test
