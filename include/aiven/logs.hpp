// Service logs beyond one call: ProjectGetServiceLogs answers at most 500 entries a
// call and pages by an opaque `offset`. These operations page with sort_order "asc"
// from the oldest entry the API keeps, handing the entries over in time order, each
// once (an entry the API repeats at a page boundary is dropped).
//
//   aiven::log_walk_options w;               // a named variable: never a braced
//   w.from = t0; w.to = t1;                  // temporary inside co_await (GCC 12)
//   std::vector<aiven::api::log_out> all = co_await aiven::async_walk_service_logs(c, "demo", "pg1", w);
//
//   aiven::log_follow_options f;
//   f.interval = 2s;
//   f.on_entries = [](std::span<const aiven::api::log_out> batch) { ... };
//   co_await aiven::async_follow_service_logs(c, "demo", "pg1", f);   // until cancelled
//
// Both are asynchronous operations like the generated ones: a `(..., diagnostics&, Token)`
// and a `(..., Token)` overload, the throwing default token, any other completion token.
// A follow never ends by itself: it ends with boost::asio::error::operation_aborted when
// cancelled (a cancellation slot, `||` with a timer), without an error when
// follow_options::timeout passes, or with a call's error when a poll fails for good.
#pragma once

#include <aiven/api/service_models.hpp>  // the models only: the calls are in src/util/logs.cpp
#include <aiven/client.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiven {

/// An entry's `time` (ISO 8601, e.g. "2026-12-02T15:12:42.123456Z" or "...+00:00");
/// nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_log_time(std::string_view iso);

struct log_walk_options {
  /// Entries at or after `from` and at or before `to` (unset: no bound). An entry
  /// whose time cannot be read is kept only when neither bound is set.
  std::optional<std::chrono::system_clock::time_point> from, to;
  std::int64_t page_size = 500;  ///< entries asked for per call (the API gives at most 500)
  /// When set, each page's new entries go here (on the client's executor; it must not
  /// throw) and the result is empty: for walks too long to hold in memory.
  std::function<void(std::span<const api::log_out>)> on_entries;
};

struct log_follow_options {
  std::optional<std::chrono::system_clock::time_point> from;  ///< entries at or after this (unset: all kept)
  std::chrono::milliseconds interval{std::chrono::seconds(2)};  ///< the pause between polls once caught up
  /// The caller's deadline, from the start: when it passes, the follow ends without an error.
  std::optional<std::chrono::milliseconds> timeout;
  std::int64_t page_size = 500;
  /// Required: the new entries, in time order, on the client's executor. It must not throw
  /// (an exception ends the follow with errc::invalid_argument and its text in client_message).
  std::function<void(std::span<const api::log_out>)> on_entries;
};

/// The paging state of a walk or follow, without I/O (what the operations above drive).
class log_cursor {
 public:
  log_cursor(std::optional<std::chrono::system_clock::time_point> from,
             std::optional<std::chrono::system_clock::time_point> to);
  /// The body of the next ProjectGetServiceLogs call.
  api::project_get_service_logs_in next_request(std::int64_t page_size) const;
  /// Takes an answer; appends its entries that are new and within the bounds to `out`.
  /// Returns true when the answer brought nothing new (the walk has caught up).
  bool feed(api::project_get_service_logs_out page, std::vector<api::log_out>& out);
  /// An entry later than `to` was seen: a walk is done.
  bool past_end() const noexcept { return past_end_; }

 private:
  std::optional<std::chrono::system_clock::time_point> from_, to_;
  std::optional<std::string> offset_;
  std::optional<std::chrono::system_clock::time_point> last_time_;
  std::vector<api::log_out> at_last_time_;  // entries given with the latest time, to drop repeats
  bool past_end_ = false;
};

namespace detail {

void walk_service_logs_erased(const client& c, std::string project, std::string service, log_walk_options opts,
                              diagnostics* diag,
                              boost::asio::any_completion_handler<void(error_code, std::vector<api::log_out>)> handler);
void follow_service_logs_erased(const client& c, std::string project, std::string service, log_follow_options opts,
                                diagnostics* diag,
                                boost::asio::any_completion_handler<void(error_code, std::size_t)> handler);

template <class Signature, class Fn, class Token, class Opts>
auto initiate_logs(Fn fn, const client& c, diagnostics* diag, Token&& token, std::string project, std::string service,
                   Opts opts) {
  return boost::asio::async_initiate<Token, Signature>(
      [fn](auto handler, diagnostics* d, client cl, std::string p, std::string s, Opts o) {
        fn(cl, std::move(p), std::move(s), std::move(o), d, std::move(handler));
      },
      token, diag, c, std::move(project), std::move(service), std::move(opts));
}

}  // namespace detail

/// Every entry of the service's log between opts.from and opts.to, in time order.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<api::log_out>)) Token = default_token>
auto async_walk_service_logs(const client& c, std::string project, std::string service, log_walk_options opts,
                             diagnostics& diag, Token&& token = {}) {
  return detail::initiate_logs<void(error_code, std::vector<api::log_out>)>(
      &detail::walk_service_logs_erased, c, &diag, std::forward<Token>(token), std::move(project), std::move(service),
      std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<api::log_out>)) Token = default_token>
auto async_walk_service_logs(const client& c, std::string project, std::string service, log_walk_options opts,
                             Token&& token = {}) {
  return detail::initiate_logs<void(error_code, std::vector<api::log_out>)>(
      &detail::walk_service_logs_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(opts));
}

/// The log's entries from opts.from on, then new ones as they come, polling every
/// opts.interval once caught up. Completes with how many entries were handed over.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::size_t)) Token = default_token>
auto async_follow_service_logs(const client& c, std::string project, std::string service, log_follow_options opts,
                               diagnostics& diag, Token&& token = {}) {
  return detail::initiate_logs<void(error_code, std::size_t)>(&detail::follow_service_logs_erased, c, &diag,
                                                              std::forward<Token>(token), std::move(project),
                                                              std::move(service), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::size_t)) Token = default_token>
auto async_follow_service_logs(const client& c, std::string project, std::string service, log_follow_options opts,
                               Token&& token = {}) {
  return detail::initiate_logs<void(error_code, std::size_t)>(&detail::follow_service_logs_erased, c, nullptr,
                                                              std::forward<Token>(token), std::move(project),
                                                              std::move(service), std::move(opts));
}

}  // namespace aiven
