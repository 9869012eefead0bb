// The Prism conformance harness: what the generated cases (generated/*.cpp) need.
#pragma once

#include <aiven/client.hpp>
#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace conformance {

/// Runs both calls of one operation; returns "" when both passed, else one line per failure.
using case_fn = boost::asio::awaitable<std::string> (*)(const aiven::client&);

struct test_case {
  const char* operation_id;
  case_fn fn;
};

/// An operation Prism cannot serve, with the reason (printed; not counted).
struct exclusion {
  const char* operation_id;
  const char* reason;
};

/// "" on success, else "<label>: <error>: <diagnostics>\n".
inline std::string check(const char* label, const aiven::error_code& ec, const aiven::diagnostics& diag) {
  if (!ec) return {};
  std::string s = "  ";
  s += label;
  s += ": ";
  s += ec.message();
  s += " | ";
  s += diag.to_string();
  if (!diag.client_message.empty()) {
    s += " | ";
    s += diag.client_message;
  }
  s += '\n';
  return s;
}

void register_all(std::vector<test_case>& cases, std::vector<exclusion>& excluded);

}  // namespace conformance
