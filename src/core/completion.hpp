// The caller's completion handler inside the engine: erased once, at the API
// boundary, into one of the two handler types the entry points take.
#pragma once

#include "core/call_loop.hpp"

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <utility>
#include <variant>

namespace aiven::detail {

using raw_handler = asio::any_completion_handler<void(error_code, raw_response)>;
using json_handler = asio::any_completion_handler<void(error_code, boost::json::value)>;
using internal_handler = std::function<void(call_result)>;

// The caller's handler, erased once at the API boundary, and work held on its
// associated executor from initiation until it has been dispatched (as every
// Asio I/O object does: that executor's io_context must not run out of work
// while the call is pending). An internal handler (a single-flight's shared
// request) holds no work: its participants do.
class completion {
 public:
  completion(raw_handler h, const asio::any_io_executor& fallback)
      : work_(tracked(asio::get_associated_executor(h, fallback))), h_(std::in_place_index<0>, std::move(h)) {}
  completion(json_handler h, const asio::any_io_executor& fallback)
      : work_(tracked(asio::get_associated_executor(h, fallback))), h_(std::in_place_index<1>, std::move(h)) {}
  completion(internal_handler h, const asio::any_io_executor& ex) : work_(ex), h_(std::in_place_index<2>, std::move(h)) {}

  asio::cancellation_slot slot() const noexcept {
    switch (h_.index()) {
      case 0: return std::get<0>(h_).get_cancellation_slot();
      case 1: return std::get<1>(h_).get_cancellation_slot();
      default: return {};
    }
  }

  /// Runs the handler on its executor: at once when already there, else later;
  /// through `via` (never inside the caller) when given: an initiating function
  /// must not complete inline.
  void complete(call_result r, const asio::any_io_executor* via = nullptr) && {
    auto ex = std::move(work_);
    auto fn = [h = std::move(h_), r = std::move(r)]() mutable {
      const auto ec = r.ec;
      switch (h.index()) {
        case 0: std::move(std::get<0>(h))(ec, std::move(r.response)); break;
        case 1: std::move(std::get<1>(h))(ec, r.json ? std::move(*r.json) : boost::json::value()); break;
        default: std::get<2>(h)(std::move(r)); break;
      }
    };
    if (via)
      asio::post(*via, asio::bind_executor(ex, std::move(fn)));
    else
      asio::dispatch(asio::bind_executor(ex, std::move(fn)));
  }

 private:
  static asio::any_completion_executor tracked(const asio::any_completion_executor& ex) {
    return asio::prefer(ex, asio::execution::outstanding_work.tracked);
  }
  asio::any_completion_executor work_;
  std::variant<raw_handler, json_handler, internal_handler> h_;
};

inline call_result failed(error_code ec) {
  call_result r;
  r.ec = ec;
  return r;
}

}  // namespace aiven::detail
