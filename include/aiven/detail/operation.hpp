// What generated operations need from the core: operation metadata and the
// initiation helper. Templates stop here; the work happens in compiled code.
#pragma once

#include <aiven/client.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <utility>

namespace aiven::detail {

/// Static description of one API operation (generated, one per operationId).
struct op_info {
  const char* operation_id;
  http_method method;
  const char* path_template;  // as in the document, e.g. "/v1/project/{project}"
  bool idempotent;            // from the method (RFC 9110), with per-operation exceptions
  bool auth_optional;         // works without a token
  const char* accept;         // the response media type to ask for
  bool deprecated;
  /// Path segments that carry a credential (bit i: segment i after the leading '/'), shown
  /// as [REDACTED] in diagnostics and attempt records: invite and verification codes.
  std::uint32_t secret_segments = 0;
};

template <class Request, class Response>
using erased_op = void (*)(const client&, Request, diagnostics*,
                           boost::asio::any_completion_handler<void(error_code, Response)>);

/// One async_initiate for every operation: the request is taken by value and
/// moved into the operation, so a stored deferred operation never dangles.
template <class Response, class Request, class Token>
auto initiate_op(erased_op<Request, Response> fn, const client& c, Request req, diagnostics* diag, Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, Response)>(
      [fn](auto handler, diagnostics* d, client cl, Request r) { fn(cl, std::move(r), d, std::move(handler)); },
      token, diag, c, std::move(req));
}

}  // namespace aiven::detail
