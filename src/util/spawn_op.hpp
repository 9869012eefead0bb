// Runs a helper operation's coroutine body on a strand of the client's executor and
// completes the type-erased handler on the handler's executor, as the waiters do
// (src/util/wait.cpp): the caller's cancellation reaches the body through an
// owned_cancellation, an exception becomes errc::invalid_argument with its text in
// client_message. Internal to src/util.
#pragma once

#include <aiven/client.hpp>
#include <aiven/detail/owned_cancellation.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>

#include <exception>
#include <memory>
#include <string>
#include <type_traits>

namespace aiven::detail {

/// `body(const client&, diagnostics&, Out&) -> awaitable<error_code>`; `Out` void: no result.
template <class Out, class Handler, class Body>
void spawn_helper(const client& c, diagnostics* diag, Handler handler, Body body, const char* what) {
  namespace asio = boost::asio;
  struct state : owned_cancellation {
    diagnostics own;
    diagnostics* d = nullptr;
    std::conditional_t<std::is_void_v<Out>, char, Out> out{};
  };
  auto st = std::make_shared<state>();
  st->d = diag ? diag : &st->own;
  auto slot = asio::get_associated_cancellation_slot(handler);
  auto ex = asio::get_associated_executor(handler, c.get_executor());
  auto strand = asio::make_strand(c.get_executor());
  owned_cancellation::forward(slot, st, strand);
  asio::co_spawn(
      strand,
      [c, st, what, body = std::move(body)]() -> asio::awaitable<error_code> {
        error_code ec;
        try {
          ec = co_await body(c, *st->d, st->out);
        } catch (const boost::system::system_error& e) {
          ec = e.code();  // an awaited operation refused to start after cancellation
          if (st->d->client_message.empty()) st->d->client_message = std::string(what) + ": " + e.code().message();
        }
        st->finished = true;
        co_return ec;
      },
      asio::bind_cancellation_slot(
          st->signal.slot(),
          asio::bind_executor(ex, [st, slot, what, h = std::move(handler)](std::exception_ptr ep, error_code ec) mutable {
            if (slot.is_connected()) slot.clear();
            if (ep && !ec) {
              ec = errc::invalid_argument;
              try {
                std::rethrow_exception(ep);
              } catch (const std::exception& e) {
                st->d->client_message = std::string(what) + ": " + e.what();
              } catch (...) {
              }
            }
            if constexpr (std::is_void_v<Out>) {
              std::move(h)(ec);
            } else {
              std::move(h)(ec, std::move(st->out));
            }
          })));
}

}  // namespace aiven::detail
