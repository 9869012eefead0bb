// Waiters: poll a service until it is RUNNING, or until it is gone after a
// delete, within a deadline, with growing pauses between polls.
//
//   auto s = co_await aiven::async_wait_service_running(c, "my-project", "my-pg",
//                                                      {.timeout = 20min});
//
// Errors: aiven::wait_error when the deadline passes (it names the last state
// seen); aiven::api_error when a poll fails for good (e.g. 404 while waiting
// for RUNNING, 401). Transient failures are retried by the client as usual.
#pragma once

#include <aiven/api/service.hpp>
#include <aiven/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aiven {

/// What a waiter reports after each poll.
struct wait_progress {
  std::string_view project;
  std::string_view service;
  std::string_view state;  ///< e.g. "REBUILDING"; "" once the service is gone
  unsigned polls = 0;
  std::chrono::milliseconds elapsed{0};
  std::chrono::milliseconds next_poll_in{0};  ///< 0 when this was the last poll
};

struct wait_options {
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};  ///< the deadline, from the first poll
  std::chrono::milliseconds initial_interval{std::chrono::seconds(2)};
  std::chrono::milliseconds max_interval{std::chrono::seconds(30)};
  double multiplier = 1.5;  ///< each pause is this much longer than the one before, up to max_interval
  std::function<void(const wait_progress&)> on_progress;  ///< called after every poll
};

/// The deadline passed before the service reached the awaited state.
/// code() is errc::timeout.
class wait_error : public boost::system::system_error {
 public:
  wait_error(std::string project, std::string service, std::string awaited, std::string last_state, unsigned polls,
             std::chrono::milliseconds elapsed);
  const std::string& project() const noexcept { return project_; }
  const std::string& service() const noexcept { return service_; }
  /// "RUNNING" or "deleted".
  const std::string& awaited() const noexcept { return awaited_; }
  /// The state the last poll saw ("" if no poll completed).
  const std::string& last_state() const noexcept { return last_state_; }
  unsigned polls() const noexcept { return polls_; }
  std::chrono::milliseconds elapsed() const noexcept { return elapsed_; }

 private:
  std::string project_, service_, awaited_, last_state_;
  unsigned polls_;
  std::chrono::milliseconds elapsed_;
};

/// Polls ServiceGet until the service's state is RUNNING; returns that last answer.
boost::asio::awaitable<api::service_get_out> async_wait_service_running(client c, std::string project,
                                                                       std::string service, wait_options opts = {});

/// Polls ServiceGet until it answers 404 (e.g. after ServiceDelete).
boost::asio::awaitable<void> async_wait_service_deleted(client c, std::string project, std::string service,
                                                        wait_options opts = {});

}  // namespace aiven
