#include "core/call.hpp"
#include "core/url.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <openssl/evp.h>

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

namespace {

// Basic credentials: OpenSSL's base64 (4 output bytes per 3 input bytes, plus the NUL).
std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

proxy_url parse_proxy_url(std::string_view text) {
  // A bare "host:port" (as some environments set HTTPS_PROXY) means http://host:port.
  std::string full(text);
  if (full.find("://") == std::string::npos) full = "http://" + full;
  auto r = boost::urls::parse_absolute_uri(full);
  if (!r) throw std::invalid_argument("aiven: invalid proxy URL: " + r.error().message());
  if (r->scheme() != "http")
    throw std::invalid_argument("aiven: the proxy URL must be http:// (the tunnel itself carries TLS)");
  proxy_url p;
  p.host = std::string(r->encoded_host());
  if (r->host_type() == boost::urls::host_type::ipv6) p.host = std::string(r->encoded_host_address());
  if (p.host.empty()) throw std::invalid_argument("aiven: the proxy URL has no host");
  p.port = r->has_port() ? std::string(r->port()) : "1080";
  if (r->has_query() || r->has_fragment() || (!r->encoded_path().empty() && r->encoded_path() != "/"))
    throw std::invalid_argument("aiven: the proxy URL must not have a path, query or fragment");
  if (r->has_userinfo()) {
    std::string cred = r->user() + ":" + r->password();
    for (unsigned char ch : cred)
      if (ch < 0x20 || ch == 0x7f) throw std::invalid_argument("aiven: the proxy credentials contain control characters");
    p.authorization = "Basic " + base64(cred);
  }
  return p;
}

bool no_proxy_matches(std::string_view list, std::string_view host) {
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view e = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
    if (e == "*") return true;
    // Drop a ":port" suffix, but not the colons of a bare IPv6 address.
    if (e.starts_with('[')) {
      auto close = e.find(']');
      if (close != std::string_view::npos) e = e.substr(1, close - 1);
    } else if (auto colon = e.rfind(':'); colon != std::string_view::npos && e.find(':') == colon) {
      e = e.substr(0, colon);
    }
    if (e.starts_with('.')) e.remove_prefix(1);
    if (e.empty()) continue;
    if (boost::urls::grammar::ci_is_equal(host, e)) return true;
    if (host.size() > e.size() && host[host.size() - e.size() - 1] == '.' &&
        boost::urls::grammar::ci_is_equal(host.substr(host.size() - e.size()), e))
      return true;
  }
  return false;
}

}  // namespace aiven::detail
