#include "core/call.hpp"
#include "core/url.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <boost/asio/ip/address.hpp>

#include <openssl/evp.h>

#include <algorithm>
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

bool is_loopback_host(std::string_view h) {
  // An address is parsed, not matched by prefix: "127.evil.example" is a name anyone can register.
  if (boost::urls::grammar::ci_is_equal(h, "localhost")) return true;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(h), ec);
  return !ec && a.is_loopback();
}

namespace {

// 1-65535 in decimal digits only ("443x", "" and "+1" are not ports).
bool is_port(std::string_view p) {
  if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto n = std::stoul(std::string(p));
  return n >= 1 && n <= 65535;
}

// Boost.URL 1.81 accepts what follows a complete host or port as a rootless path
// ("http://127.0.0.1.evil.example" is host 127.0.0.1 and path ".evil.example";
// "https://host:443x" port 443 and path "x"), so the parts are checked here.
void check_authority(const boost::urls::url_view& r, std::string_view text) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("aiven: invalid base URL '" + std::string(text) + "': " + why);
  };
  // Not echoed: the text would carry the password into logs.
  if (r.has_userinfo()) throw std::invalid_argument("aiven: the base URL must not contain credentials (user@ or user:password@)");
  if (r.has_port() && !is_port(r.port()))
    throw bad(r.port().empty() ? "the port is empty" : "the port '" + std::string(r.port()) + "' is not a number in 1-65535");
  if (!r.encoded_path().empty() && r.encoded_path().front() != '/')
    throw bad("unexpected text after the host or port: '" + std::string(r.encoded_path()) + "'");
}

}  // namespace

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
  check_authority(*r, text);
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

bool should_proxy(const base_url& url, std::string_view proxy, std::string_view no_proxy) {
  // The proxy is an HTTPS proxy: it tunnels TLS, which keeps the token from it. A plain
  // http:// base URL (only ever loopback) through it would hand the proxy the token in clear.
  if (proxy.empty() || !url.tls) return false;
  return !no_proxy_matches(no_proxy, url.host);
}

namespace {

// The next '/'-separated segment of `rest` (the query cut off by the caller).
std::string_view next_segment(std::string_view& rest) {
  auto slash = rest.find('/');
  auto seg = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  return seg;
}

// "." or ".." once %2e / %2E are decoded, as a normalising proxy reads them.
bool is_dot_segment(std::string_view s) {
  std::size_t dots = 0;
  for (std::size_t i = 0; i < s.size(); ++i, ++dots) {
    if (s[i] == '%' && i + 2 < s.size() && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E'))
      i += 2;
    else if (s[i] != '.')
      return false;
  }
  return dots == 1 || dots == 2;
}

}  // namespace

std::string check_path_params(std::string_view path_template, std::string_view target) {
  // Walked in step without allocating: this runs for every typed call.
  std::string_view tpl = path_template, got = target.substr(0, target.find('?'));
  while (!tpl.empty() || !got.empty()) {
    auto t = next_segment(tpl);
    auto g = next_segment(got);
    if (t.find('{') == std::string_view::npos) continue;
    // Behind a hop that normalises paths, "" and ".." address the parent resource ("." this
    // one): `user-delete --service-username ..` would become a DELETE of the whole service.
    if (!g.empty() && g != "." && g != "..") continue;
    std::string names;
    for (auto open = t.find('{'); open != std::string_view::npos; open = t.find('{')) {
      auto close = t.find('}', open);
      if (close == std::string_view::npos) break;
      names += (names.empty() ? "" : ", ") + std::string(t.substr(open + 1, close - open - 1));
      t.remove_prefix(close + 1);
    }
    return "path parameter " + names + (g.empty() ? " is empty" : " is '" + std::string(g) + "'") +
           ": a path segment must not be empty, '.' or '..' (it would address another resource)";
  }
  return {};
}

std::string check_raw_path(std::string_view path) {
  std::string_view rest = path.substr(0, path.find('?'));
  next_segment(rest);  // what precedes the leading '/'
  while (!rest.empty()) {
    auto seg = next_segment(rest);
    // An empty segment before the end ("//"); a trailing '/' is left alone.
    if (seg.empty() && !rest.empty())
      return "the request path has an empty segment ('//'): a path parameter is missing";
    if (is_dot_segment(seg))
      return "the request path has a '" + std::string(seg) +
             "' segment: behind a normalising proxy it would address another resource";
  }
  return {};
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
  if (r->has_port() && !is_port(r->port()))
    throw std::invalid_argument("aiven: the proxy URL's port is not a number in 1-65535");
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
