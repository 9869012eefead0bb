#include <aiven/wait.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace aiven {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

std::string describe(const std::string& project, const std::string& service, const std::string& awaited,
                     const std::string& last_state, unsigned polls, milliseconds elapsed) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(elapsed.count()) / 1000.0);
  return "service " + project + "/" + service + " not " + awaited + " after " + secs + " s (" +
         std::to_string(polls) + " polls); last state seen: " + (last_state.empty() ? "none" : last_state);
}

milliseconds since(steady::time_point t) { return std::chrono::duration_cast<milliseconds>(steady::now() - t); }

// Polls until `done(state, found)` is true. `found` is false after a 404.
template <class Done>
asio::awaitable<std::optional<api::service_get_out>> poll(client c, const std::string& project,
                                                           const std::string& service, const wait_options& opts,
                                                           const std::string& awaited, Done done) {
  if (opts.timeout.count() < 0 || opts.initial_interval.count() <= 0 || opts.multiplier < 1.0)
    throw api_error(errc::invalid_argument, diagnostics{.client_message = "invalid wait_options"});
  const auto start = steady::now();
  const auto deadline = start + opts.timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  milliseconds interval = opts.initial_interval;
  std::string last_state;
  unsigned polls = 0;
  for (;;) {
    // No single poll may outlive the deadline.
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
    const client bounded = c.with(call_options{.timeout = std::max(left, milliseconds(1))});
    const api::service_get_request get{.project = project, .service_name = service};
    diagnostics diag;
    auto [ec, s] = co_await api::async_service_get(bounded, get, diag, asio::as_tuple(asio::use_awaitable));
    ++polls;
    const bool gone = ec == errc::not_found;
    if (ec == errc::timeout && steady::now() >= deadline)
      throw wait_error(project, service, awaited, last_state, polls, since(start));
    // A service that vanishes while awaited to run will not come back.
    if (ec && (!gone || awaited == "RUNNING")) throw api_error(ec, std::move(diag));
    last_state = gone ? "" : s.state.str();
    const bool finished = done(last_state, !gone);
    left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
    const milliseconds pause = finished ? milliseconds(0) : std::min(interval, std::max(left, milliseconds(0)));
    if (opts.on_progress)
      opts.on_progress(wait_progress{project, service, last_state, polls, since(start), pause});
    if (finished) co_return gone ? std::nullopt : std::optional(std::move(s));
    if (left.count() <= 0) throw wait_error(project, service, awaited, last_state, polls, since(start));
    timer.expires_after(pause);
    co_await timer.async_wait(asio::use_awaitable);
    interval = std::min(opts.max_interval, milliseconds(static_cast<milliseconds::rep>(interval.count() * opts.multiplier)));
  }
}

}  // namespace

wait_error::wait_error(std::string project, std::string service, std::string awaited, std::string last_state,
                       unsigned polls, milliseconds elapsed)
    : boost::system::system_error(errc::timeout, describe(project, service, awaited, last_state, polls, elapsed)),
      project_(std::move(project)),
      service_(std::move(service)),
      awaited_(std::move(awaited)),
      last_state_(std::move(last_state)),
      polls_(polls),
      elapsed_(elapsed) {}

asio::awaitable<api::service_get_out> async_wait_service_running(client c, std::string project, std::string service,
                                                                wait_options opts) {
  auto s = co_await poll(c, project, service, opts, "RUNNING",
                         [](const std::string& state, bool found) { return found && state == "RUNNING"; });
  co_return std::move(*s);
}

asio::awaitable<void> async_wait_service_deleted(client c, std::string project, std::string service,
                                                 wait_options opts) {
  co_await poll(c, project, service, opts, "deleted", [](const std::string&, bool found) { return !found; });
}

}  // namespace aiven
