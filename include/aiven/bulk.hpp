// Many calls, at most `max_in_flight` at once, each result or error kept per
// item in input order. An asynchronous operation like the generated ones:
// `(..., diagnostics&, Token)` and `(..., Token)` overloads, the default token,
// and any other completion token.
//
//   std::vector<std::string> names = ...;
//   auto per_project = [&](const std::string& p) -> asio::awaitable<services> {
//     auto req = aiven::api::service_list_request{.project = p};
//     co_return co_await aiven::api::async_service_list(c, req);
//   };
//   auto results = co_await aiven::bulk(names, 8, per_project);
//   for (auto& r : results) if (r) use(*r.value); else log(r.error_message());
//
// The items are copied into the operation. The workers run on a strand of the
// completion handler's associated executor (for a plain callback or use_future,
// bind one: asio::bind_executor(io, asio::use_future)).
//
// Cancellation (a cancellation slot, or `bulk(...) || timer`) is forwarded to
// every running item and no new item starts; the operation completes, with
// boost::asio::error::operation_aborted and the outcomes so far (items never
// started have ec == operation_aborted), only once every running item has
// finished: nothing outlives it.
#pragma once

#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
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

namespace detail {

/// The compiled scheduler under bulk(): runs `item(i)` for i in [0, n), at most
/// `max_in_flight` at a time, on a strand of `ex`; completes `done` on `ex` with
/// the number of items that finished, once no item is running.
void bulk_erased(boost::asio::any_io_executor ex, boost::asio::cancellation_slot slot, std::size_t n,
                 std::size_t max_in_flight, std::function<boost::asio::awaitable<void>(std::size_t)> item,
                 diagnostics* diag, std::function<void(error_code, std::size_t)> done);

template <class Item, class F, class T>
struct bulk_shared {
  std::vector<Item> inputs;
  F f;
  std::vector<outcome<T>> results;
};

// A free coroutine: its parameters live in its own frame, nothing dangles.
template <class Shared>
boost::asio::awaitable<void> bulk_item(std::shared_ptr<Shared> sh, std::size_t i) {
  auto& out = sh->results[i];
  try {
    out.value.emplace(co_await sh->f(std::as_const(sh->inputs[i])));
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

template <class Range>
using bulk_item_t = std::remove_cvref_t<decltype(*std::begin(std::declval<const Range&>()))>;
template <class Range, class F>
using bulk_value_t = typename std::invoke_result_t<F&, const bulk_item_t<Range>&>::value_type;
template <class Range, class F>
using bulk_signature = void(error_code, std::vector<outcome<bulk_value_t<Range, F>>>);

template <class Range, class F, class Token>
auto initiate_bulk(const Range& items, std::size_t max_in_flight, F f, diagnostics* diag, Token&& token) {
  using Item = bulk_item_t<Range>;
  using T = bulk_value_t<Range, F>;
  std::vector<Item> inputs(std::begin(items), std::end(items));
  return boost::asio::async_initiate<Token, bulk_signature<Range, F>>(
      [](auto handler, diagnostics* d, std::vector<Item> in, std::size_t k, F fn) {
        using Shared = bulk_shared<Item, F, T>;
        const std::size_t n = in.size();
        auto sh = std::make_shared<Shared>(Shared{std::move(in), std::move(fn), std::vector<outcome<T>>(n)});
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        boost::asio::any_io_executor ex = boost::asio::get_associated_executor(handler);
        auto h = std::make_shared<std::decay_t<decltype(handler)>>(std::move(handler));
        bulk_erased(
            ex, slot, n, k, [sh](std::size_t i) { return bulk_item(sh, i); }, d,
            [sh, h](error_code ec, std::size_t) {
              for (auto& r : sh->results)
                if (!r.value && !r.ec && !r.exception) r.ec = boost::asio::error::operation_aborted;  // never started
              std::move (*h)(ec, std::move(sh->results));
            });
      },
      token, diag, std::move(inputs), max_in_flight, std::move(f));
}

}  // namespace detail

/// Runs `f(item)` (which returns an awaitable<T>) for every item of `items`,
/// at most `max_in_flight` (0 counts as 1) at a time. A failed item does not fail
/// the operation: each outcome holds its own value or error, outcome i belongs to
/// items[i]. Completes with void(error_code, std::vector<outcome<T>>); the
/// error_code is set only when the operation was cancelled.
template <class Range, class F,
          class Token = default_token>
auto bulk(const Range& items, std::size_t max_in_flight, F f, diagnostics& diag, Token&& token = {}) {
  return detail::initiate_bulk(items, max_in_flight, std::move(f), &diag, std::forward<Token>(token));
}
template <class Range, class F,
          class Token = default_token>
  requires(!std::is_same_v<std::remove_cvref_t<Token>, diagnostics>)
auto bulk(const Range& items, std::size_t max_in_flight, F f, Token&& token = {}) {
  return detail::initiate_bulk(items, max_in_flight, std::move(f), nullptr, std::forward<Token>(token));
}

}  // namespace aiven
