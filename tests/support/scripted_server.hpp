// A plain-TCP HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, byte by
// byte. For every request it reads in full it asks the test's responder what to
// do: write these exact bytes, wait, close, reset. Tests of the call engine use
// it (with client_options::allow_insecure_http) to show what the client does
// when a server sends interim responses, bytes past Content-Length, closes a
// reused connection after reading a whole request, answers HEAD with a
// Content-Length and no body, or asks for long pauses.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace aiven::test {

/// A request as the server read it.
struct seen_request {
  std::size_t connection = 0;  // 0-based, in accept order
  std::size_t on_connection = 0;  // 0-based index of the request on its connection
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// The first header named `name` (case-insensitive), or "".
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (boost::beast::iequals(k, name)) return v;
    return {};
  }
};

/// One thing the server does in answer to a request.
struct step {
  enum kind_t { write, delay, close, reset } kind = write;
  std::string bytes;
  std::chrono::milliseconds wait{0};
};
using script = std::vector<step>;

inline step send(std::string bytes) { return {step::write, std::move(bytes), {}}; }
inline step pause(std::chrono::milliseconds ms) { return {step::delay, {}, ms}; }
/// FIN after the bytes written so far.
inline step fin() { return {step::close, {}, {}}; }
/// RST: SO_LINGER 0, then close.
inline step rst() { return {step::reset, {}, {}}; }

/// A complete response with Content-Length (unless `content_length` says otherwise).
inline std::string response(unsigned status, std::string_view body,
                            std::vector<std::pair<std::string, std::string>> headers = {},
                            long content_length = -1) {
  std::string s = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
  for (auto& [k, v] : headers) s += k + ": " + v + "\r\n";
  s += "Content-Length: " + std::to_string(content_length < 0 ? static_cast<long>(body.size()) : content_length) +
       "\r\n\r\n";
  s += body;
  return s;
}

class scripted_server {
 public:
  using responder = std::function<script(const seen_request&)>;

  explicit scripted_server(responder r) : respond_(std::move(r)), acceptor_(io_) {
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~scripted_server() {
    io_.stop();
    thread_.join();
  }
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  unsigned short port() const { return port_; }
  std::vector<seen_request> requests() const {
    std::lock_guard lk(mu_);
    return seen_;
  }
  std::size_t count(std::string_view method, std::string_view target) const {
    std::lock_guard lk(mu_);
    std::size_t n = 0;
    for (auto& r : seen_) n += r.method == method && r.target == target;
    return n;
  }
  std::size_t connections() const { return accepted_.load(); }

 private:
  boost::asio::awaitable<void> accept_loop() {
    namespace asio = boost::asio;
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::move(sock), accepted_++), asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket sock, std::size_t conn) {
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buf;
    for (std::size_t n = 0;; ++n) {
      http::request_parser<http::string_body> parser;
      auto [ec, bytes] = co_await http::async_read(sock, buf, parser, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      seen_request seen{conn, n, std::string(parser.get().method_string()), std::string(parser.get().target()),
                        parser.get().body(), {}};
      for (const auto& f : parser.get()) seen.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      {
        std::lock_guard lk(mu_);
        seen_.push_back(seen);
      }
      for (auto& s : respond_(seen)) {
        boost::system::error_code ignored;
        switch (s.kind) {
          case step::write: {
            auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(s.bytes), asio::as_tuple(asio::use_awaitable));
            if (wec) co_return;
            break;
          }
          case step::delay: {
            asio::steady_timer t(sock.get_executor(), s.wait);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            break;
          }
          case step::close:
            sock.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            sock.close(ignored);
            co_return;
          case step::reset:
            sock.set_option(asio::socket_base::linger(true, 0), ignored);
            sock.close(ignored);
            co_return;
        }
      }
    }
  }

  responder respond_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  mutable std::mutex mu_;
  std::vector<seen_request> seen_;
  std::thread thread_;
};

}  // namespace aiven::test
