#pragma once

#include <string>
#include <string_view>

namespace aiven::detail {

struct base_url {
  bool tls = true;
  std::string host;         // without brackets for IPv6
  std::string port;         // "443" when absent
  std::string host_header;  // Host: value
  std::string path_prefix;  // e.g. "" or "/api" (no trailing slash)
};

/// Throws std::invalid_argument for anything but https://host[:port][/prefix],
/// or, when `allow_http`, http:// to a loopback host (a local mock server).
base_url parse_base_url(std::string_view text, bool allow_http = false);

struct proxy_url {
  std::string host;  // without brackets for IPv6
  std::string port;  // "1080" when absent
  std::string authorization;  // "Basic base64(user:password)" when the URL has credentials
};

/// Throws std::invalid_argument for anything but http://[user[:password]@]host[:port][/].
proxy_url parse_proxy_url(std::string_view text);

/// True when `host` is excluded from proxying by a NO_PROXY-style list.
bool no_proxy_matches(std::string_view list, std::string_view host);

}  // namespace aiven::detail
