#include "core/transport.hpp"

#include <aiven/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/empty_body.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>
#include <cerrno>

namespace aiven::detail {

connection::connection(const asio::any_io_executor& ex, asio::ssl::context* ctx) {
  if (ctx)
    tls.emplace(ex, *ctx);
  else
    plain.emplace(ex);
  created = last_used = clock::now();
}

connection::~connection() { close(); }

void connection::close() noexcept {
  error_code ignored;
  auto& s = socket();
  if (s.is_open()) {
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
}

bool connection::looks_alive() noexcept {
  auto& s = socket();
  if (!s.is_open()) return false;
  // An idle HTTP/1.1 connection has nothing to read: 0 means the peer closed
  // it, data means a close_notify or garbage. Either way it must not be reused.
  char byte;
  auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void watchdog::arm(connection& conn, clock::time_point at) {
  disarm();
  state_ = std::make_shared<state>(state{&conn});
  timer_.expires_at(at);
  timer_.async_wait([s = state_](error_code ec) {
    if (!ec && s->conn) {
      s->fired = true;
      s->conn->close();
    }
  });
}

void watchdog::disarm() noexcept {
  if (state_) state_->conn = nullptr;
  timer_.cancel();
}

namespace {

std::string ssl_reason(const error_code& ec) {
  std::string msg = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    // The OpenSSL reason string, e.g. "certificate verify failed".
    if (const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) msg = r;
  }
  return msg;
}

// HTTP CONNECT through the proxy: the TLS session is then made end to end
// with the API's host, so the proxy sees neither the requests nor the token.
asio::awaitable<error_code> open_tunnel(connection& conn, const endpoint_info& ep, diagnostics* diag) {
  const std::string authority =
      (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) + ":" + ep.port;
  const std::string proxy = ep.proxy_host + ":" + ep.proxy_port;
  http::request<http::empty_body> req{http::verb::connect, authority, 11};
  req.set(http::field::host, authority);
  if (!ep.proxy_authorization.empty()) req.set(http::field::proxy_authorization, ep.proxy_authorization);
  auto [wec, wn] = co_await http::async_write(conn.socket(), req, asio::as_tuple(asio::use_awaitable));
  if (wec) {
    if (diag) diag->client_message = "proxy " + proxy + ": cannot send CONNECT: " + wec.message();
    co_return wec;
  }
  // A 2xx answer to CONNECT has no body; whatever follows belongs to the tunnel.
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  boost::beast::flat_buffer buf;
  auto [rec, rn] = co_await http::async_read_header(conn.socket(), buf, parser, asio::as_tuple(asio::use_awaitable));
  if (rec) {
    if (diag) diag->client_message = "proxy " + proxy + ": no answer to CONNECT: " + rec.message();
    co_return rec;
  }
  const unsigned status = parser.get().result_int();
  if (status / 100 == 2) {
    if (buf.size() != 0) {
      if (diag) diag->client_message = "proxy " + proxy + ": unexpected bytes after the CONNECT answer";
      co_return error_code(errc::bad_response);
    }
    co_return error_code{};
  }
  if (diag) {
    diag->client_message = "proxy " + proxy + " refused CONNECT " + authority + ": HTTP " + std::to_string(status);
    if (auto reason = parser.get().reason(); !reason.empty()) diag->client_message += " " + std::string(reason);
  }
  // Some proxies (tinyproxy) answer wrong credentials with 401 rather than 407;
  // before the tunnel exists, either comes from the proxy.
  co_return error_code(status == 407 || status == 401 ? errc::proxy_auth_required : errc::proxy_refused);
}

}  // namespace

asio::awaitable<error_code> async_open(connection& conn, const tcp::resolver::results_type& endpoints,
                                       const endpoint_info& ep, clock::time_point deadline, diagnostics* diag,
                                       bool* verify_failed) {
  watchdog dog(co_await asio::this_coro::executor);
  dog.arm(conn, deadline);
  const error_code cec =
      std::get<0>(co_await asio::async_connect(conn.socket(), endpoints, asio::as_tuple(asio::use_awaitable)));
  if (cec) {
    bool timed_out = dog.fired();
    if (diag)
      diag->client_message = (ep.proxy_host.empty() ? "connect to " + ep.host + ":" + ep.port
                                                    : "connect to proxy " + ep.proxy_host + ":" + ep.proxy_port) +
                             (timed_out ? " timed out" : " failed: " + cec.message());
    co_return timed_out ? error_code(errc::timeout) : cec;
  }
  conn.socket().set_option(tcp::no_delay(true));
  if (!ep.proxy_host.empty()) {
    if (auto pec = co_await open_tunnel(conn, ep, diag)) co_return dog.fired() ? error_code(errc::timeout) : pec;
  }
  if (!conn.tls) co_return error_code{};

  auto* ssl = conn.tls->native_handle();
  error_code ip_ec;
  asio::ip::make_address(ep.host, ip_ec);
  // SNI only for names: RFC 6066 forbids IP literals in server_name.
  if (ip_ec && !SSL_set_tlsext_host_name(ssl, ep.host.c_str())) {
    if (diag) diag->client_message = "cannot set TLS server name";
    co_return error_code(errc::invalid_argument);
  }
  if (ep.verify_peer) {
    conn.tls->set_verify_mode(asio::ssl::verify_peer);
    // OpenSSL's own name check (not a verify callback), so that a mismatch is
    // reported as one ("hostname mismatch", "IP address mismatch").
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!(ip_ec ? X509_VERIFY_PARAM_set1_host(param, ep.host.c_str(), ep.host.size())
                : X509_VERIFY_PARAM_set1_ip_asc(param, ep.host.c_str()))) {
      if (diag) diag->client_message = "cannot set the TLS host name to verify";
      co_return error_code(errc::invalid_argument);
    }
  } else {
    conn.tls->set_verify_mode(asio::ssl::verify_none);
  }
  const error_code hec = std::get<0>(
      co_await conn.tls->async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable)));
  if (hec) {
    bool timed_out = dog.fired();
    const long vr = SSL_get_verify_result(ssl);
    if (verify_failed && !timed_out && ep.verify_peer && vr != X509_V_OK) *verify_failed = true;
    if (diag) {
      std::string why = timed_out ? "timed out" : ssl_reason(hec);
      if (!timed_out && vr != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(vr) + ")";
      diag->client_message = "TLS handshake with " + ep.host + ":" + ep.port + " failed: " + why;
    }
    co_return timed_out ? error_code(errc::timeout) : hec;
  }
  co_return error_code{};
}

namespace {

template <class Stream>
asio::awaitable<void> exchange_on(Stream& stream, connection& conn, const http::request<http::string_body>& req,
                                  std::size_t max_body, exchange_result& out) {
  const auto [wec, written] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  if (wec) {
    out.ec = wec;
    out.write_started = written > 0;
    co_return;
  }
  out.write_started = out.request_sent = true;
  // Interim responses (100 Continue nobody asked for, 103 Early Hints) come before
  // the final one on the same connection; taken as the answer, they would leave the
  // final response to be read by the next request. A few are allowed, not a stream.
  for (int interim = 0;; ++interim) {
    http::response_parser<response_body> parser;
    // The parser's limit bounds the bytes read, the body's what they inflate to.
    parser.body_limit(max_body);
    parser.get().body().limit = max_body;
    parser.header_limit(64 * 1024);
    // A HEAD response has the headers of a GET, Content-Length included, and no body.
    if (req.method() == http::verb::head) parser.skip(true);
    // One read of the whole message; whether any of it arrived is known afterwards.
    const error_code hec =
        std::get<0>(co_await http::async_read(stream, conn.buffer, parser, asio::as_tuple(asio::use_awaitable)));
    out.response_started = out.response_started || parser.got_some() || conn.buffer.size() > 0;
    if (hec) {
      out.ec = hec;
      co_return;
    }
    const unsigned status = parser.get().result_int();
    if (status / 100 == 1) {
      if (status == 101 || interim == 8) {
        out.ec = errc::bad_response;  // an upgrade nobody asked for, or no end of interim answers
        co_return;
      }
      continue;
    }
    // Bytes past the response (more than its Content-Length said) belong to no
    // request: such a connection is never reused.
    out.keep_alive = parser.get().keep_alive() && conn.buffer.size() == 0;
    out.body_wire_bytes = parser.get().body().wire_bytes;
    if (parser.get().body().inflated) {
      parser.get().erase(http::field::content_encoding);
      parser.get().erase(http::field::content_length);
    }
    out.response = parser.release();
    co_return;
  }
}

}  // namespace

asio::awaitable<exchange_result> async_exchange(connection& conn, const http::request<http::string_body>& req,
                                                std::size_t max_body, clock::time_point deadline) {
  exchange_result out;
  watchdog dog(co_await asio::this_coro::executor);
  dog.arm(conn, deadline);
  if (conn.tls)
    co_await exchange_on(*conn.tls, conn, req, max_body, out);
  else
    co_await exchange_on(*conn.plain, conn, req, max_body, out);
  dog.disarm();
  ++conn.requests;
  if (out.ec) {
    out.keep_alive = false;
    if (dog.fired())
      out.ec = errc::timeout;
    else if (out.ec == http::error::body_limit)
      out.ec = errc::body_too_large;
  }
  co_return out;
}

}  // namespace aiven::detail
