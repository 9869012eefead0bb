// One pipelined connection to Redis or Valkey, for the rate limit shared across processes
// (docs/rate-limits.md). Commands from any thread go out in order on one socket and their
// replies come back in order; hiredis formats the commands and parses the replies (RESP),
// the socket and the timers are Asio's. Never throws and never blocks a call for longer
// than its timeout: a server that cannot be reached is an empty result, and for a second
// after a failure calls get one at once instead of waiting for another connect.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aiven::detail {

/// A reply, copied out of hiredis's.
struct redis_value {
  enum class kind { nil, integer, string, status, error, array };
  kind type = kind::nil;
  long long integer = 0;
  std::string str;  // string, status, error
  std::vector<redis_value> elements;
};

struct redis_endpoint {
  std::string host = "127.0.0.1";
  std::string port = "6379";
  std::string username, password;  // AUTH when the password is set
  unsigned db = 0;                  // SELECT when not 0
};

/// redis://[[username]:password@]host[:port][/db]; nullopt when it is not one (rediss://,
/// TLS, is not supported).
std::optional<redis_endpoint> parse_redis_url(std::string_view url);

class redis_link : public std::enable_shared_from_this<redis_link> {
 public:
  /// `on_connect`: commands sent first on every new connection (SCRIPT LOAD, say); an
  /// error reply to one of them ends the connection.
  redis_link(boost::asio::any_io_executor ex, redis_endpoint ep, std::vector<std::vector<std::string>> on_connect = {});
  ~redis_link();

  /// Sends `args` as one command; the reply, or nullopt when the server cannot be
  /// reached, the connection fails or `timeout` passes first (the reply is then dropped
  /// when it comes: the pipeline keeps its order).
  boost::asio::awaitable<std::optional<redis_value>> call(std::vector<std::string> args,
                                                          std::chrono::milliseconds timeout);
  /// Sends `args` and drops the reply.
  void send(std::vector<std::string> args);
  /// Why the last attempt to reach the server failed ("" while it works).
  std::string last_error() const;
  /// Closes the connection; queued and pending commands get nullopt.
  void close();

 private:
  struct op;
  void enqueue(std::shared_ptr<op> o);
  void kick();  // on the strand
  boost::asio::awaitable<void> run();
  void fail_all(const std::string& why);  // on the strand
  void deliver(op& o, std::optional<redis_value> v);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  redis_endpoint ep_;
  std::vector<std::vector<std::string>> on_connect_;
  // The strand's:
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer wake_;  // the writer waits on it for queued commands
  std::deque<std::shared_ptr<op>> queued_, pending_;
  bool running_ = false;
  std::chrono::steady_clock::time_point down_until_{};
  std::chrono::steady_clock::time_point progress_{};  // the last reply, or the first owed since
  mutable std::mutex error_mu_;
  std::string last_error_;
};

}  // namespace aiven::detail
