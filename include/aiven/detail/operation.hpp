// What generated operations need from the core: operation metadata and the
// initiation helper. Templates stop here; the work happens in compiled code.
#pragma once

#include <aiven/client.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <utility>

namespace aiven::detail {

/// Static description of one API operation (generated, one per operationId, with designated
/// initializers: `{.operation_id = "ServiceGet", .method = http_method::get, ...}`). Only what
/// the core reads: whether an operation is deprecated or works without a token is in the
/// generated comments (and `[[deprecated]]`), the CLI table and the simulator's routes.
struct op_info {
  const char* operation_id = "";
  http_method method = http_method::get;
  const char* path_template = nullptr;  // as in the document, e.g. "/v1/project/{project}"
  bool idempotent = true;               // from the method (RFC 9110), with per-operation exceptions
  const char* accept = "application/json";  // the response media types to ask for
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
