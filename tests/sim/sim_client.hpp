// A small synchronous Beast client for the simulator tests, independent of the library's
// own HTTP stack, and helpers shared by the test files.
#pragma once

#include <doctest/doctest.h>

#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using aiven::sim::fault;
using aiven::sim::fault_kind;
using aiven::sim::simulator;
using aiven::sim::simulator_options;

namespace sim_test {

inline constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

struct reply {
  beast::error_code ec;  // set when the exchange failed
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool keep_alive = true;

  bool has_header(const std::string& name) const { return headers.count(name) != 0; }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  json::value json() const { return json::parse(body); }
};

// One TLS connection to the simulator, driven synchronously by the test.
class test_client {
 public:
  explicit test_client(const simulator& sim, bool trust_ca = true) : sim_(sim), ctx_(ssl::context::tls_client) {
    if (trust_ca) ctx_.add_certificate_authority(asio::buffer(sim.ca_pem()));
    ctx_.set_verify_mode(ssl::verify_peer);
  }

  ssl::context& context() { return ctx_; }

  beast::error_code connect(const std::string& host_name = "127.0.0.1") {
    return run(do_connect(host_name));
  }

  reply request(http::verb method, const std::string& target, const std::string& body = "",
                bool with_token = true, bool close = false, const std::string& token = "") {
    if (!stream_) {
      if (auto ec = connect()) {
        reply failed;
        failed.ec = ec;
        return failed;
      }
    }
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::user_agent, "sim-test");
    if (with_token) req.set(http::field::authorization, "aivenv1 " + (token.empty() ? sim_.token() : token));
    if (!body.empty() || method == http::verb::post || method == http::verb::put) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    req.keep_alive(!close);
    reply r = run(do_request(std::move(req)));
    if (r.ec || !r.keep_alive) disconnect();
    return r;
  }

  reply get(const std::string& target, bool with_token = true) {
    return request(http::verb::get, target, "", with_token);
  }

  void disconnect() {
    stream_.reset();
    buffer_.clear();
  }
  bool connected() const { return stream_ != nullptr; }

 private:
  template <class T>
  T run(asio::awaitable<T> op) {
    auto f = asio::co_spawn(ioc_, std::move(op), asio::use_future);
    ioc_.restart();
    ioc_.run();
    return f.get();
  }

  asio::awaitable<beast::error_code> do_connect(std::string host_name) {
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, ctx_);
    buffer_.clear();
    stream_->set_verify_callback(ssl::host_name_verification(host_name));
    if (host_name != "127.0.0.1") SSL_set_tlsext_host_name(stream_->native_handle(), host_name.c_str());
    auto& tcp_layer = beast::get_lowest_layer(*stream_);
    tcp_layer.expires_after(5s);
    auto [ec] = co_await tcp_layer.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), sim_.port()),
                                                 nothrow_awaitable);
    if (!ec) std::tie(ec) = co_await stream_->async_handshake(ssl::stream_base::client, nothrow_awaitable);
    if (ec) stream_.reset();
    co_return ec;
  }

  asio::awaitable<reply> do_request(http::request<http::string_body> req) {
    reply r;
    auto& tcp_layer = beast::get_lowest_layer(*stream_);
    tcp_layer.expires_after(5s);
    auto [wec, wn] = co_await http::async_write(*stream_, req, nothrow_awaitable);
    if (wec) {
      r.ec = wec;
      co_return r;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(req.method() == http::verb::head);
    auto [ec, n] = co_await http::async_read(*stream_, buffer_, parser, nothrow_awaitable);
    if (parser.is_header_done()) r.status = parser.get().result_int();
    if (ec) {
      r.ec = ec;
      co_return r;
    }
    auto res = parser.release();
    r.body = std::move(res.body());
    r.keep_alive = res.keep_alive();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.headers[name] = std::string(f.value());
    }
    co_return r;
  }

  const simulator& sim_;
  asio::io_context ioc_;
  ssl::context ctx_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

inline simulator_options quick_options() {
  simulator_options o;
  o.service_ready_delay = 100ms;
  return o;
}

inline std::string str(const json::value& v) { return std::string(v.as_string()); }

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 2000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

inline const std::string pg_service = R"({"plan":"startup-4","service_name":"db1","service_type":"pg","cloud":"aws-eu-west-1",
                                    "user_config":{"pg_version":"16"},"tags":{"team":"core"}})";

}  // namespace sim_test

using namespace sim_test;
