#include <aiven/diagnostics.hpp>
#include <aiven/with_diagnostics.hpp>

#include <string>

namespace aiven {

std::string diagnostics::to_string() const {
  std::string s;
  if (!operation.empty()) s += operation;
  if (!method.empty()) {
    if (!s.empty()) s += ' ';
    s += method;
    s += ' ';
    s += path;
  }
  auto sep = [&] { s += s.empty() ? "" : ": "; };
  if (http_status) {
    sep();
    s += "HTTP " + std::to_string(http_status);
  }
  if (!message.empty()) {
    sep();
    s += message;
  } else if (!errors.empty() && !errors.front().message.empty()) {
    sep();
    s += errors.front().message;
  }
  if (!client_message.empty()) {
    sep();
    s += client_message;
  }
  if (attempts > 1) s += " (after " + std::to_string(attempts) + " attempts)";
  return s;
}

api_error::api_error(error_code ec, diagnostics diag)
    : boost::system::system_error(ec, diag.to_string()), diag_(std::move(diag)) {}

}  // namespace aiven
