// Observability helpers for client_options::on_attempt: a readable log line,
// and the redaction rule applied to everything the hook sees.
#pragma once

#include <aiven/client.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace aiven {

/// True for a JSON member or query parameter name that names a secret:
/// case-insensitive, '-' and ' ' read as '_', it contains password, passwd,
/// secret, token, credential, private_key, access_key, api_key, authorization,
/// cert_key or certificate_key, or it ends in "_key" or is "key".
bool is_secret_name(std::string_view name) noexcept;

/// `body` with the value of every member named like a secret (at any depth,
/// booleans excepted) replaced by "[REDACTED]", and the password of every URL with credentials
/// (`scheme://user:password@host`) in any string replaced too. A body that is
/// not JSON is withheld whole: "[N bytes, not JSON, withheld]".
std::string redact_json(std::string_view body);

/// `target` (path?query) with the value of every secret-named query parameter
/// replaced by "[REDACTED]" (true and false excepted).
std::string redact_target(std::string_view target);

/// The same, and every path segment `i` whose bit `1u << i` is set in `secret_segments`
/// (segment 0 follows the leading '/') replaced by "[REDACTED]": path parameters that carry a
/// credential, e.g. `/v1/user/password_reset/{verification_code}` is segment 3.
std::string redact_target(std::string_view target, std::uint32_t secret_segments);

/// One line: `GET /v1/project 200 2.1 ms (ProjectList, attempt 1, sent 0 B, received 2310 B)`,
/// followed by the error and "; retrying" when the call goes on.
std::string format_attempt(const attempt_record& r);

}  // namespace aiven
