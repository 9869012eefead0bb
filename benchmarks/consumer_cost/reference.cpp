// The reference beside one.cpp: what any program that speaks HTTPS and JSON with
// Asio already compiles (Asio, Asio.SSL and Beast header-only, Boost.JSON's
// value), doing a comparable amount: one coroutine, a TLS connection, one request.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <cstdio>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

static asio::awaitable<void> run(asio::ssl::context& tls) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
  auto eps = co_await resolver.async_resolve("api.aiven.io", "443", asio::use_awaitable);
  co_await beast::get_lowest_layer(stream).async_connect(eps, asio::use_awaitable);
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  http::request<http::string_body> req{http::verb::get, "/v1/project/demo/service", 11};
  req.set(http::field::host, "api.aiven.io");
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  co_await http::async_read(stream, buf, res, asio::use_awaitable);
  auto v = boost::json::parse(res.body());
  std::printf("%zu services\n", v.as_object()["services"].as_array().size());
}

int main() {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  asio::co_spawn(io, run(tls), asio::detached);
  io.run();
}
