// One keep-alive connection (TLS or, for loopback test servers, plain TCP) and
// the HTTP exchange on it. Deadlines are enforced by a watchdog timer that
// closes the socket, so every phase (connect, handshake, write, read) is bounded.
#pragma once

#include "core/response_body.hpp"

#include <aiven/client.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace aiven::detail {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

struct connection {
  connection(const asio::any_io_executor& ex, asio::ssl::context* ctx);
  ~connection();

  tcp::socket& socket() noexcept { return tls ? tls->next_layer() : *plain; }
  void close() noexcept;
  /// For an idle connection: false when the peer closed it or sent stray bytes.
  bool looks_alive() noexcept;

  std::optional<asio::ssl::stream<tcp::socket>> tls;
  std::optional<tcp::socket> plain;
  boost::beast::flat_buffer buffer;
  clock::time_point created;
  clock::time_point last_used;
  std::uint64_t requests = 0;
};

/// Closes the socket of `conn` when the timer fires, unless disarmed first.
class watchdog {
 public:
  explicit watchdog(const asio::any_io_executor& ex) : timer_(ex) {}
  ~watchdog() { disarm(); }
  void arm(connection& conn, clock::time_point at);
  void disarm() noexcept;
  bool fired() const noexcept { return state_ && state_->fired; }

 private:
  struct state {
    connection* conn;
    bool fired = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<state> state_;
};

struct endpoint_info {
  std::string host;         // for SNI and certificate verification
  std::string port;
  bool tls = true;
  bool verify_peer = true;
  // Set when connections go through an HTTPS proxy (CONNECT tunnel).
  std::string proxy_host;
  std::string proxy_port;
  std::string proxy_authorization;  // "Basic ..." or empty
};

/// Connects (through the proxy's CONNECT tunnel when ep has one) and, for TLS,
/// handshakes with SNI and host name verification.
/// On failure diag->client_message says which phase failed and why.
/// *verify_failed is set when the TLS handshake failed on certificate
/// verification: a permanent failure that another attempt cannot fix.
asio::awaitable<error_code> async_open(connection& conn, const tcp::resolver::results_type& endpoints,
                                       const endpoint_info& ep, clock::time_point deadline,
                                       diagnostics* diag, bool* verify_failed = nullptr);

struct exchange_result {
  error_code ec;
  bool request_sent = false;      // the whole request was written
  bool write_started = false;     // some of it was
  bool response_started = false;  // any byte of the response arrived
  bool keep_alive = false;        // the connection can serve another request
  /// The final response; a gzip body is inflated, its Content-Encoding and
  /// Content-Length removed (they described the bytes on the wire).
  http::response<response_body> response;
  std::size_t body_wire_bytes = 0;  // the body as received, before inflating
};

/// Writes `req` and reads the whole final response, within `deadline`. Interim
/// 1xx responses are read and discarded (RFC 9110 15.2); a 101 nobody asked for
/// is a bad response. A HEAD response has no body whatever its Content-Length.
/// The connection is kept alive only when nothing is left unread after the response.
/// `max_body` bounds the body after inflating (errc::body_too_large).
asio::awaitable<exchange_result> async_exchange(connection& conn, const http::request<http::string_body>& req,
                                                std::size_t max_body, clock::time_point deadline);

}  // namespace aiven::detail
