// Many calls, at most `max_in_flight` at once, each result or error kept per
// item in input order.
//
//   std::vector<std::string> names = ...;
//   auto results = co_await aiven::bulk(names, 8, [&](const std::string& p) -> asio::awaitable<services> {
//     auto req = aiven::api::service_list_request{.project = p};
//     co_return co_await aiven::api::async_service_list(c, req);
//   });
//   for (auto& r : results) if (r) use(*r.value); else log(r.error_message());
#pragma once

#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace aiven {

/// The result of one item: a value, or the error it failed with.
template <class T>
struct outcome {
  std::optional<T> value;
  error_code ec;               ///< set when it failed
  diagnostics diag;            ///< filled when the failure was an aiven::api_error
  std::exception_ptr exception;  ///< the exception it failed with, to rethrow if wanted

  explicit operator bool() const noexcept { return value.has_value(); }
  /// diag.to_string() for API errors, else the exception's text; "" on success.
  std::string error_message() const {
    if (value) return {};
    if (!diag.operation.empty() || diag.http_status != 0 || !diag.client_message.empty()) return diag.to_string();
    try {
      if (exception) std::rethrow_exception(exception);
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
    }
    return ec ? ec.message() : "unknown error";
  }
};

/// Runs `f(item)` (which returns an awaitable<T>) for every item of `items`,
/// at most `max_in_flight` (>= 1) at a time. Never throws for a failed item:
/// each outcome holds its own value or error, outcome i belongs to items[i].
template <class Range, class F>
auto bulk(const Range& items, std::size_t max_in_flight, F f)
    -> boost::asio::awaitable<std::vector<outcome<typename std::invoke_result_t<F&, decltype(*std::begin(items))>::value_type>>> {
  namespace asio = boost::asio;
  using T = typename std::invoke_result_t<F&, decltype(*std::begin(items))>::value_type;
  std::vector<const std::remove_cvref_t<decltype(*std::begin(items))>*> inputs;
  for (const auto& it : items) inputs.push_back(&it);
  std::vector<outcome<T>> results(inputs.size());
  if (inputs.empty()) co_return results;
  if (max_in_flight == 0) max_in_flight = 1;

  // The workers and the join share one strand: the shared counters need no
  // lock even when the io_context runs on several threads.
  auto strand = asio::make_strand(co_await asio::this_coro::executor);
  auto run = [&]() -> asio::awaitable<void> {
    std::size_t next = 0, live = 0;
    asio::steady_timer all_done(strand, asio::steady_timer::time_point::max());
    auto worker = [&]() -> asio::awaitable<void> {
      while (next < inputs.size()) {
        const std::size_t i = next++;
        auto& out = results[i];
        try {
          out.value.emplace(co_await f(*inputs[i]));
        } catch (const api_error& e) {
          out.ec = e.code();
          out.diag = e.get_diagnostics();
          out.exception = std::current_exception();
        } catch (const boost::system::system_error& e) {
          out.ec = e.code();
          out.exception = std::current_exception();
        } catch (...) {
          out.exception = std::current_exception();  // not an error_code failure: ec stays empty
        }
      }
      if (--live == 0) all_done.cancel();
    };
    const std::size_t n = std::min(max_in_flight, inputs.size());
    live = n;
    for (std::size_t k = 0; k < n; ++k) asio::co_spawn(strand, worker, asio::detached);
    if (live != 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  };
  co_await asio::co_spawn(strand, run, asio::use_awaitable);
  co_return results;
}

}  // namespace aiven
