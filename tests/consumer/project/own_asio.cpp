// The program's own use of Asio, unrelated to aiven-cpp: a loopback echo.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<std::string> own_echo(asio::any_io_executor ex) {
  tcp::acceptor acceptor(ex, {asio::ip::make_address("127.0.0.1"), 0});
  asio::co_spawn(ex, [&acceptor]() -> asio::awaitable<void> {
    auto peer = co_await acceptor.async_accept(asio::use_awaitable);
    std::array<char, 4> buf{};
    co_await asio::async_read(peer, asio::buffer(buf), asio::use_awaitable);
    co_await asio::async_write(peer, asio::buffer(buf), asio::use_awaitable);
  }, asio::detached);
  tcp::socket s(ex);
  co_await s.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
  co_await asio::async_write(s, asio::buffer(std::string_view("ping")), asio::use_awaitable);
  std::string back(4, '\0');
  co_await asio::async_read(s, asio::buffer(back), asio::use_awaitable);
  co_return back;
}
