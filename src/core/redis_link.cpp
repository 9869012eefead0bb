#include "core/redis_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>

#include <hiredis/hiredis.h>

namespace aiven::detail {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using error_code = boost::system::error_code;
using channel = asio::experimental::concurrent_channel<void(error_code, redis_value)>;

namespace {

constexpr auto connect_timeout = std::chrono::milliseconds(1000);
constexpr auto down_for = std::chrono::milliseconds(1000);  // after a failure: no new connect before
constexpr auto idle_close = std::chrono::milliseconds(500);
// Replies owed and none for this long: the server is stuck (or a network path dropped
// without a reset); the connection is given up, so a stuck server holds no operation
// of the caller's io_context and calls fall back at once for `down_for`.
constexpr auto stall_after = std::chrono::milliseconds(1000);

redis_value copy_reply(const redisReply* r) {
  redis_value v;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      v.type = redis_value::kind::integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      v.type = r->type == REDIS_REPLY_STRING   ? redis_value::kind::string
               : r->type == REDIS_REPLY_STATUS ? redis_value::kind::status
                                               : redis_value::kind::error;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = redis_value::kind::array;
      for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      break;
  }
  return v;
}

std::string format(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int n = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  std::string wire;
  if (n > 0 && cmd) wire.assign(cmd, static_cast<std::size_t>(n));
  if (cmd) redisFreeCommand(cmd);
  return wire;
}

}  // namespace

struct redis_link::op {
  std::string wire;
  std::shared_ptr<channel> ch;  // null: the reply is dropped
  bool auth = false;            // AUTH / SELECT on a new connection: an error reply ends it
};

std::optional<redis_endpoint> parse_redis_url(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "redis" || !u->has_authority() || u->host().empty()) return std::nullopt;
  redis_endpoint ep;
  ep.host = u->host_address();
  if (u->has_port()) ep.port = u->port();
  if (u->has_password()) {
    ep.username = u->user();
    ep.password = u->password();
  }
  std::string_view path = u->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    unsigned db = 0;
    for (char c : path) {
      if (c < '0' || c > '9' || db > 1'000'000) return std::nullopt;
      db = db * 10 + static_cast<unsigned>(c - '0');
    }
    ep.db = db;
  }
  return ep;
}

redis_link::redis_link(asio::any_io_executor ex, redis_endpoint ep, std::vector<std::vector<std::string>> on_connect)
    : strand_(asio::make_strand(ex)), ep_(std::move(ep)), on_connect_(std::move(on_connect)), socket_(strand_),
      wake_(strand_) {}

redis_link::~redis_link() = default;

std::string redis_link::last_error() const {
  std::lock_guard lk(error_mu_);
  return last_error_;
}

void redis_link::deliver(op& o, std::optional<redis_value> v) {
  if (!o.ch) return;
  if (v)
    o.ch->try_send(error_code{}, std::move(*v));
  else
    o.ch->try_send(asio::error::connection_aborted, redis_value{});
}

void redis_link::fail_all(const std::string& why) {
  {
    std::lock_guard lk(error_mu_);
    last_error_ = why;
  }
  for (auto& o : pending_) deliver(*o, std::nullopt);
  for (auto& o : queued_) deliver(*o, std::nullopt);
  pending_.clear();
  queued_.clear();
}

void redis_link::enqueue(std::shared_ptr<op> o) {
  asio::post(strand_, [self = shared_from_this(), o = std::move(o)]() mutable {
    if (std::chrono::steady_clock::now() < self->down_until_) {
      self->deliver(*o, std::nullopt);  // a failure a moment ago: do not wait for another connect
      return;
    }
    self->queued_.push_back(std::move(o));
    self->kick();
  });
}

void redis_link::kick() {
  if (!running_) {
    running_ = true;
    asio::co_spawn(strand_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
  } else {
    wake_.cancel();
  }
}

asio::awaitable<std::optional<redis_value>> redis_link::call(std::vector<std::string> args,
                                                             std::chrono::milliseconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  auto o = std::make_shared<op>();
  o->wire = format(args);
  o->ch = std::make_shared<channel>(ex, 1);
  auto ch = o->ch;
  enqueue(std::move(o));
  asio::steady_timer timer(ex, timeout);
  auto r = co_await (ch->async_receive(asio::as_tuple(asio::use_awaitable)) ||
                     timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 0) {
    auto [ec, v] = std::get<0>(std::move(r));
    if (!ec) co_return std::move(v);
  }
  co_return std::nullopt;
}

void redis_link::send(std::vector<std::string> args) {
  auto o = std::make_shared<op>();
  o->wire = format(args);
  enqueue(std::move(o));
}

void redis_link::close() {
  asio::post(strand_, [self = shared_from_this()] {
    error_code ignored;
    self->socket_.close(ignored);
    self->wake_.cancel();
    self->fail_all("closed");
  });
}

asio::awaitable<void> redis_link::run() {
  auto self = shared_from_this();
  std::string why;
  bool idle = false;
  {
    asio::ip::tcp::resolver resolver(strand_);
    asio::steady_timer timer(strand_, connect_timeout);
    auto connect = [&]() -> asio::awaitable<error_code> {
      auto [rec, eps] = co_await resolver.async_resolve(ep_.host, ep_.port, asio::as_tuple(asio::use_awaitable));
      if (rec) co_return rec;
      auto [cec, ep] = co_await asio::async_connect(socket_, eps, asio::as_tuple(asio::use_awaitable));
      co_return cec;
    };
    auto r = co_await (connect() || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (r.index() == 1)
      why = "connecting to " + ep_.host + ":" + ep_.port + " timed out";
    else if (auto ec = std::get<0>(r))
      why = "cannot connect to " + ep_.host + ":" + ep_.port + ": " + ec.message();
  }
  if (why.empty()) {
    error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    {
      std::lock_guard lk(error_mu_);
      last_error_.clear();
    }
    // AUTH, SELECT and the caller's own go first on a new connection.
    for (auto it = on_connect_.rbegin(); it != on_connect_.rend(); ++it)
      queued_.push_front(std::make_shared<op>(op{format(*it), nullptr, true}));
    if (ep_.db != 0) {
      auto o = std::make_shared<op>(op{format({"SELECT", std::to_string(ep_.db)}), nullptr, true});
      queued_.push_front(std::move(o));
    }
    if (!ep_.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!ep_.username.empty()) auth.push_back(ep_.username);
      auth.push_back(ep_.password);
      queued_.push_front(std::make_shared<op>(op{format(auth), nullptr, true}));
    }
    std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(), redisReaderFree);
    auto stalled = [&] {
      if (pending_.empty() || std::chrono::steady_clock::now() - progress_ < stall_after) return false;
      why = "no reply from " + ep_.host + ":" + ep_.port + " for " + std::to_string(stall_after.count()) + " ms";
      return true;
    };
    auto writer = [&]() -> asio::awaitable<void> {
      for (;;) {
        if (queued_.empty()) {
          // Idle for `idle_close`, the connection closes: a link with nothing to do holds
          // no operation, so the caller's io_context::run() returns once its work is done.
          wake_.expires_after(idle_close);
          auto [wec] = co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
          if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return;
          if (!socket_.is_open()) {
            why = "closed";
            co_return;
          }
          if (!wec && queued_.empty() && pending_.empty()) {
            idle = true;
            co_return;
          }
          if (stalled()) co_return;
          continue;
        }
        if (stalled()) co_return;
        if (pending_.empty()) progress_ = std::chrono::steady_clock::now();
        std::string buf;
        while (!queued_.empty()) {
          buf += queued_.front()->wire;
          pending_.push_back(std::move(queued_.front()));
          queued_.pop_front();
        }
        auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        if (ec) {
          why = "writing to " + ep_.host + ":" + ep_.port + ": " + ec.message();
          co_return;
        }
      }
    };
    auto read = [&]() -> asio::awaitable<void> {
      std::vector<char> buf(16 * 1024);
      for (;;) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        if (ec) {
          // The writer's reason, when it ended first and this read was cancelled for it.
          if (why.empty()) why = ec == asio::error::eof ? "the server closed the connection" : "reading: " + ec.message();
          co_return;
        }
        if (redisReaderFeed(reader.get(), buf.data(), n) != REDIS_OK) {
          why = "a reply that is not RESP";
          co_return;
        }
        for (;;) {
          void* rep = nullptr;
          if (redisReaderGetReply(reader.get(), &rep) != REDIS_OK) {
            why = "a reply that is not RESP";
            co_return;
          }
          if (!rep) break;
          auto v = copy_reply(static_cast<redisReply*>(rep));
          freeReplyObject(rep);
          if (pending_.empty()) {
            why = "a reply to no command";
            co_return;
          }
          auto o = std::move(pending_.front());
          pending_.pop_front();
          progress_ = std::chrono::steady_clock::now();
          if (o->auth && v.type == redis_value::kind::error) {
            why = "the server refused a command of the connection's setup: " + v.str;
            co_return;
          }
          deliver(*o, std::move(v));
        }
      }
    };
    co_await (writer() || read());
  }
  error_code ignored;
  socket_.close(ignored);
  running_ = false;
  if (idle) {
    if (!queued_.empty()) kick();  // came in as it closed
    co_return;
  }
  fail_all(why.empty() ? "closed" : why);
  down_until_ = std::chrono::steady_clock::now() + down_for;
  if (!queued_.empty()) kick();
}

}  // namespace aiven::detail
