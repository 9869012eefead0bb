// Test helper: a plain HTTP/1.1 server on 127.0.0.1, on its own thread, that
// answers each request with what the test's script says. For resources or
// misbehaviour the simulator does not model.
#pragma once

#include <aiven/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace aiven::test {

struct scripted_request {
  std::string method, target, body;
};

struct scripted_response {
  unsigned status = 200;
  std::string body = "{}";
};

class script_server {
 public:
  using script = std::function<scripted_response(const scripted_request&)>;

  explicit script_server(script s)
      : script_(std::move(s)), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~script_server() {
    io_.stop();
    thread_.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  client_options options() const {
    client_options o;
    o.base_url = base_url();
    o.allow_insecure_http = true;
    o.token = "script-token";
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    return o;
  }
  std::vector<scripted_request> requests() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::size_t count(const std::string& method, const std::string& target) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (auto& r : seen_) n += r.method == method && r.target == target;
    return n;
  }

 private:
  void serve() {
    boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
    io_.run();
  }

  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      boost::asio::co_spawn(io_, session(std::move(sock)), boost::asio::detached);
    }
  }

  // Keep-alive: the client's pool reuses the connection.
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket sock) {
    namespace http = boost::beast::http;
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(sock, buf, req, as_tuple(use_awaitable));
      if (ec) co_return;
      scripted_request r{std::string(req.method_string()), std::string(req.target()), req.body()};
      {
        std::lock_guard lock(mu_);
        seen_.push_back(r);
      }
      scripted_response a = script_(r);
      http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
      res.set(http::field::content_type, "application/json");
      res.body() = a.body;
      res.prepare_payload();
      auto [wec, m] = co_await http::async_write(sock, res, as_tuple(use_awaitable));
      if (wec) co_return;
    }
  }

  script script_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  mutable std::mutex mu_;
  std::vector<scripted_request> seen_;
  std::thread thread_;
};

}  // namespace aiven::test
