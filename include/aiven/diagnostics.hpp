// What is known about a failed (or retried) call, beyond its error_code.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace aiven {

/// One element of the "errors" list of an Aiven error body.
struct api_error_item {
  std::string message;
  int status = 0;
  std::string error_code;  // Aiven's machine-readable code, when present
  std::string more_info;
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

  void clear() { *this = diagnostics{}; }

  /// One line for logs and exception texts, e.g.
  /// `ServiceGet GET /v1/project/p/service/s: HTTP 404: Service not found`.
  std::string to_string() const;
};

}  // namespace aiven
