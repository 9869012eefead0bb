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
/// The port is 1-65535 in digits; no credentials; nothing between authority and '/'.
base_url parse_base_url(std::string_view text, bool allow_http = false);

/// "localhost" (any case) or a loopback IPv4/IPv6 address (brackets allowed).
bool is_loopback_host(std::string_view host);

/// Whether connections to `url` are tunnelled through the HTTPS proxy `proxy`:
/// never without one, never for a plain http:// URL, and not for a host in `no_proxy`.
bool should_proxy(const base_url& url, std::string_view proxy, std::string_view no_proxy);

/// Why `target` (built from `path_template` by substituting encoded parameters) must not be
/// sent: a path parameter that is empty, "." or "..", named. "" when it may be sent.
std::string check_path_params(std::string_view path_template, std::string_view target);

/// Why a raw request path must not be sent: a "." or ".." segment (also as %2e) or an
/// empty one ("//"). "" when it may be sent.
std::string check_raw_path(std::string_view path);

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
