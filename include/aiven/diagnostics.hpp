// What is known about a failed (or retried) call, beyond its error_code.
#pragma once

#include <aiven/api/error_codes.hpp>
#include <aiven/types.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aiven {

/// One element of the "errors" list of an Aiven error body.
struct api_error_item {
  std::string message;
  int status = 0;
  std::string error_code;  // Aiven's machine-readable code, when present
  std::string more_info;

  /// error_code, typed: code() == api_error_code::kafka_topic_already_exists; a code this
  /// library does not know is api_error_code::unknown and keeps its string in str().
  open_enum<api_error_code> code() const { return open_enum<api_error_code>(error_code); }
};

/// Filled by every call that is given one; cleared when a call starts.
/// Never holds the token: the Authorization header is not recorded anywhere.
struct diagnostics {
  std::string operation;          // the operationId, e.g. "ServiceGet" ("" for raw calls)
  std::string method;             // "GET", "POST", ...
  std::string path;               // the request target, percent-encoded, with its query
  unsigned http_status = 0;       // 0 when no response was received
  std::string message;            // Aiven's "message"
  std::vector<api_error_item> errors;  // Aiven's "errors"
  std::string request_id;         // the response's request id header, when present
  std::string client_message;     // what the client itself found wrong (JSON path, TLS, ...)
  unsigned attempts = 0;          // how many times the request was sent
  std::optional<std::chrono::milliseconds> retry_after;  // the server's last retry hint
  /// rate_limit_options::shared_redis_url set but not answering: why (the client's own
  /// governor admitted the attempts meanwhile). Empty otherwise.
  std::string shared_limiter_error;

  void clear() { *this = diagnostics{}; }

  /// One line for logs and exception texts, e.g.
  /// `ServiceGet GET /v1/project/p/service/s: HTTP 404: Service not found`.
  std::string to_string() const;
};

/// True when one of diag.errors carries `code`, e.g.
/// `aiven::has_error_code(diag, aiven::api_error_code::kafka_topic_already_exists)`.
bool has_error_code(const diagnostics& diag, api_error_code code) noexcept;
/// The same for a code given as a string (one this library may not know yet).
bool has_error_code(const diagnostics& diag, std::string_view code) noexcept;
/// The first typed error code of diag.errors (api_error_code::unknown when none is known).
api_error_code first_error_code(const diagnostics& diag) noexcept;
/// A 409 whose error code says the resource already exists (`*_already_exists`).
bool is_already_exists(const diagnostics& diag) noexcept;

}  // namespace aiven
