// Helpers over the typed error codes of aiven::diagnostics.
#include <aiven/diagnostics.hpp>

namespace aiven {

bool has_error_code(const diagnostics& diag, api_error_code code) noexcept {
  if (code == api_error_code::unknown) return false;
  for (const auto& e : diag.errors) {
    api_error_code c{};
    if (from_string(e.error_code, c) && c == code) return true;
  }
  return false;
}

bool has_error_code(const diagnostics& diag, std::string_view code) noexcept {
  for (const auto& e : diag.errors)
    if (e.error_code == code) return true;
  return false;
}

api_error_code first_error_code(const diagnostics& diag) noexcept {
  for (const auto& e : diag.errors) {
    api_error_code c{};
    if (from_string(e.error_code, c)) return c;
  }
  return api_error_code::unknown;
}

bool is_already_exists(const diagnostics& diag) noexcept {
  if (diag.http_status != 409) return false;
  for (const auto& e : diag.errors) {
    const std::string_view c = e.error_code;
    if (c.ends_with("_already_exists")) return true;
  }
  return false;
}

}  // namespace aiven
