// Shared by the examples: the real API when AIVEN_TOKEN (or the avn CLI's
// credentials file) gives a token, else the local simulator, in-process.
#pragma once

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <memory>

namespace example {

struct environment {
  aiven::client_options opts;
  std::unique_ptr<aiven::sim::simulator> sim;  // null when live
  bool live() const { return sim == nullptr; }
};

inline environment setup(aiven::sim::simulator_options sim_opts = {}) {
  environment e{aiven::client_options::from_env(), nullptr};
  if (e.opts.token.empty()) {
    e.sim = std::make_unique<aiven::sim::simulator>(std::move(sim_opts));
    e.opts.base_url = e.sim->base_url();
    e.opts.token = e.sim->token();
    e.opts.ca_pem = e.sim->ca_pem();
    std::printf("(no token: using the local Aiven API simulator at %s)\n", e.opts.base_url.c_str());
  }
  return e;
}

/// Runs `main_coro` to completion; prints an uncaught error and returns 1.
template <class F>
int run(boost::asio::io_context& io, F main_coro) {
  int rc = 0;
  boost::asio::co_spawn(io, std::move(main_coro), [&](std::exception_ptr ep) {
    if (!ep) return;
    rc = 1;
    try {
      std::rethrow_exception(ep);
    } catch (const aiven::api_error& e) {
      std::fprintf(stderr, "error: %s [%s]\n", e.get_diagnostics().to_string().c_str(), e.code().message().c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
    }
  });
  io.run();
  return rc;
}

}  // namespace example
