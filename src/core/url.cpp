#include "core/call.hpp"
#include "core/url.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <stdexcept>

namespace aiven::detail {

std::string encode_path_segment(std::string_view s) {
  // Everything but unreserved characters is escaped, so '/', '?', '#', '%',
  // '..' tricks and CR/LF can never leave their segment.
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

void append_query(std::string& target, std::string_view name, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += boost::urls::encode(name, boost::urls::unreserved_chars);
  target += '=';
  target += boost::urls::encode(value, boost::urls::unreserved_chars);
}

static bool is_loopback_host(std::string_view h) {
  return h == "localhost" || h == "::1" || h == "[::1]" || h.starts_with("127.");
}

base_url parse_base_url(std::string_view text, bool allow_http) {
  auto r = boost::urls::parse_absolute_uri(text);
  if (!r) throw std::invalid_argument("aiven: invalid base URL '" + std::string(text) + "': " + r.error().message());
  base_url u;
  std::string scheme(r->scheme());
  if (scheme == "https") {
    u.tls = true;
  } else if (scheme == "http") {
    u.tls = false;
  } else {
    throw std::invalid_argument("aiven: base URL must be https:// (got '" + std::string(text) + "')");
  }
  u.host = std::string(r->encoded_host());
  if (u.host.empty()) throw std::invalid_argument("aiven: base URL has no host: '" + std::string(text) + "'");
  if (r->host_type() == boost::urls::host_type::ipv6) u.host = std::string(r->encoded_host_address());
  if (!u.tls && !allow_http)
    throw std::invalid_argument(
        "aiven: plain http:// base URL refused (set client_options::allow_insecure_http for a loopback test server)");
  if (!u.tls && !is_loopback_host(u.host))
    throw std::invalid_argument("aiven: plain http:// is only allowed to a loopback host (got '" + u.host + "')");
  u.port = r->has_port() ? std::string(r->port()) : (u.tls ? "443" : "80");
  u.host_header = u.host;
  if (r->host_type() == boost::urls::host_type::ipv6) u.host_header = "[" + u.host + "]";
  if (r->has_port()) u.host_header += ":" + u.port;
  u.path_prefix = std::string(r->encoded_path());
  while (!u.path_prefix.empty() && u.path_prefix.back() == '/') u.path_prefix.pop_back();
  if (r->has_query() || r->has_fragment())
    throw std::invalid_argument("aiven: base URL must not have a query or fragment");
  return u;
}

}  // namespace aiven::detail
