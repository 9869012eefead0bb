// The single type-erased entry point of the core, for the generated API layer
// (src/api/*.cpp) and the hand-written helpers. Not a public header.
#pragma once

#include <aiven/client.hpp>
#include <aiven/detail/operation.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associator.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace aiven::detail {

/// Decodes a 2xx body inside the attempt (typed calls): an error (errc::bad_response, with
/// d.client_message set) fails the attempt as an unreadable body does, so a safe call is
/// retried. The result stays in the decoder, which the caller's handler owns too.
struct response_decoder {
  virtual ~response_decoder() = default;
  virtual error_code decode(std::string_view body, diagnostics& d) = 0;
};

struct call_request {
  const op_info* op = nullptr;
  std::string target;        // path (segments percent-encoded) + "?" + encoded query
  std::string body;          // serialized request body; empty: none
  std::string content_type;  // of body; empty means application/json
  std::shared_ptr<response_decoder> decoder;  // async_call_raw only; may be null
};

/// Sends the request (pool, retries, deadline) and completes with the parsed
/// JSON body (null for an empty body). A non-2xx status is an error; Aiven's
/// error body is put into *diag.
void async_call_json(const client& c, call_request req, diagnostics* diag,
                     boost::asio::any_completion_handler<void(error_code, boost::json::value)> handler);

/// Same, for operations whose answer is not JSON (downloads): the body as bytes.
void async_call_raw(const client& c, call_request req, diagnostics* diag,
                    boost::asio::any_completion_handler<void(error_code, raw_response)> handler);

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters.
std::string encode_path_segment(std::string_view s);
/// Appends `name=value` (both percent-encoded) to target, with '?' or '&'.
void append_query(std::string& target, std::string_view name, std::string_view value);

/// The one intermediate handler of the library: a handler of void(error_code, From)
/// that converts the value with
/// fn(From&&, To&, diagnostics*) -> error_code and completes `Handler` with
/// void(error_code, To). Forwards the executor, allocator and cancellation slot.
template <class To, class Handler, class Fn>
struct then_handler {
  Handler handler_;
  Fn fn_;
  diagnostics* diag_;

  template <class From>
  void operator()(error_code ec, From&& from) {
    To to{};
    if (!ec) ec = fn_(std::forward<From>(from), to, diag_);
    std::move(handler_)(ec, std::move(to));
  }
};

template <class To, class Handler, class Fn>
then_handler<To, std::decay_t<Handler>, std::decay_t<Fn>> then(Handler&& h, Fn&& fn, diagnostics* diag) {
  return {std::forward<Handler>(h), std::forward<Fn>(fn), diag};
}

}  // namespace aiven::detail

template <template <class, class> class Associator, class To, class Handler, class Fn, class DefaultCandidate>
struct boost::asio::associator<Associator, aiven::detail::then_handler<To, Handler, Fn>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(
      const aiven::detail::then_handler<To, Handler, Fn>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.handler_);
  }
  static auto get(const aiven::detail::then_handler<To, Handler, Fn>& h, const DefaultCandidate& c) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler_, c)) {
    return Associator<Handler, DefaultCandidate>::get(h.handler_, c);
  }
};
