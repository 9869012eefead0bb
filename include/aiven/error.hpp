// Error codes of aiven-cpp. An error_code never carries text: the text of a
// failure (Aiven's message, the JSON path of a bad field, ...) is in aiven::diagnostics.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <type_traits>

namespace aiven {

using error_code = boost::system::error_code;

enum class errc {
  // The server answered with a non-2xx status (diagnostics::http_status has it).
  bad_request = 1,  // 400 and 4xx statuses without a code of their own (422, 413, ...)
  unauthorized,     // 401: missing, wrong or expired token
  forbidden,        // 403
  not_found,        // 404
  conflict,         // 409
  request_timeout,  // 408
  rate_limited,     // 429: the request was refused, not executed
  server_error,     // 500, 502, 503, 504 and other 5xx
  not_implemented,  // 501: the API's "not ready yet" on some Kafka resources
  http_error,       // any other non-2xx status (1xx, 3xx)
  // The response could not be used.
  bad_response,     // malformed HTTP or JSON, or JSON that does not fit the type
  body_too_large,   // the response body exceeds client_options::max_body_size
  // Client side.
  timeout,          // the call's deadline or a per-phase timeout expired
  invalid_argument, // a caller's input was refused before anything was sent
  connection_lost,  // the connection broke after a non-idempotent request was sent: it may have been executed
  // The HTTPS proxy (client_options::proxy) refused the CONNECT tunnel; nothing reached the API.
  proxy_auth_required,  // 407 (or 401): missing or wrong proxy credentials
  proxy_refused,        // any other non-2xx answer to CONNECT (403 not allowed, 502 upstream unreachable, ...)
};
// When retries are exhausted, a call completes with the last attempt's error;
// diagnostics::attempts says how many were made.

const boost::system::error_category& aiven_category() noexcept;

inline error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), aiven_category()};
}

/// The errc for a non-2xx HTTP status.
errc errc_from_status(unsigned status) noexcept;

/// True for failures that may succeed when the same request is sent again later:
/// connection failures, timeouts, 408, 429, 5xx and 501.
bool is_retryable(const error_code& ec) noexcept;

/// True when the connection the error happened on must not be reused.
bool is_fatal_for_connection(const error_code& ec) noexcept;

}  // namespace aiven

template <>
struct boost::system::is_error_code_enum<aiven::errc> : std::true_type {};
