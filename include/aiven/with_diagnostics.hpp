// The default completion token: a failed operation throws aiven::api_error,
// which carries the error_code and a copy of the call's diagnostics.
//
//   auto p = co_await aiven::api::async_project_get(c, {.project = "x"});  // throws api_error
//   auto [ec, p] = co_await aiven::api::async_project_get(c, {.project = "x"}, diag, asio::as_tuple);
//
// Every aiven initiation takes `diagnostics*` as its first initiation argument;
// when it is null and this token is used, the token supplies one of its own.
#pragma once

#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>

#include <boost/asio/associator.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/version.hpp>

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace aiven {

/// Thrown by operations completed with the default token.
class api_error : public boost::system::system_error {
 public:
  api_error(error_code ec, diagnostics diag);
  const diagnostics& get_diagnostics() const noexcept { return diag_; }

 private:
  diagnostics diag_;
};

template <class CompletionToken>
struct with_diagnostics_t {
  constexpr with_diagnostics_t() = default;
  template <class T>
  constexpr explicit with_diagnostics_t(T&& t) : token_(std::forward<T>(t)) {}
  CompletionToken token_;
};

/// Adapts `token` so that an error completes it with an exception_ptr to an api_error.
template <class CompletionToken>
constexpr with_diagnostics_t<std::decay_t<CompletionToken>> with_diagnostics(CompletionToken&& token) {
  return with_diagnostics_t<std::decay_t<CompletionToken>>(std::forward<CompletionToken>(token));
}

using default_token = with_diagnostics_t<boost::asio::deferred_t>;

namespace detail {

template <class Handler>
struct diagnostics_handler {
  Handler handler_;
  std::unique_ptr<diagnostics> owned_;  // set when the caller passed no diagnostics
  diagnostics* diag_;

  template <class... Args>
  void operator()(error_code ec, Args&&... args) {
    std::exception_ptr ep;
    if (ec) ep = std::make_exception_ptr(api_error(ec, diag_ ? *diag_ : diagnostics{}));
    owned_.reset();
    std::move(handler_)(std::move(ep), std::forward<Args>(args)...);
  }
};

}  // namespace detail
}  // namespace aiven

namespace boost::asio {

template <class CompletionToken, class... Args>
struct async_result<aiven::with_diagnostics_t<CompletionToken>, void(aiven::error_code, Args...)> {
  template <class Initiation>
  struct init_wrapper {
    Initiation initiation_;

    template <class Handler, class... Rest>
    void operator()(Handler&& handler, aiven::diagnostics* diag, Rest&&... rest) {
      std::unique_ptr<aiven::diagnostics> owned;
      if (!diag) {
        owned = std::make_unique<aiven::diagnostics>();
        diag = owned.get();
      }
      std::move(initiation_)(
          aiven::detail::diagnostics_handler<std::decay_t<Handler>>{std::forward<Handler>(handler), std::move(owned), diag},
          diag, std::forward<Rest>(rest)...);
    }
  };

  template <class Initiation, class RawToken, class... InitArgs>
  static auto initiate(Initiation&& init, RawToken&& token, InitArgs&&... args) {
    return async_initiate<std::conditional_t<std::is_const_v<std::remove_reference_t<RawToken>>, const CompletionToken,
                                             CompletionToken>,
                          void(std::exception_ptr, Args...)>(
        init_wrapper<std::decay_t<Initiation>>{std::forward<Initiation>(init)}, token.token_,
        std::forward<InitArgs>(args)...);
  }
};

template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct associator<Associator, aiven::detail::diagnostics_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(
      const aiven::detail::diagnostics_handler<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.handler_);
  }
  static auto get(const aiven::detail::diagnostics_handler<Handler>& h, const DefaultCandidate& c) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler_, c)) {
    return Associator<Handler, DefaultCandidate>::get(h.handler_, c);
  }
};

}  // namespace boost::asio

#if BOOST_VERSION == 108100
// Boost 1.81's awaitable cannot resume from an operation completing with
// void(std::exception_ptr, T) (`if (*result)` on a struct; fixed in 1.82),
// which is the signature with_diagnostics produces. This constrained partial
// specialization is preferred over the broken one and does what 1.82 does.
namespace boost::asio::detail {

template <typename R, typename T, typename Executor>
  requires std::is_void_v<R>
class awaitable_async_op_handler<R(std::exception_ptr, T), Executor> : public awaitable_thread<Executor> {
 public:
  struct result_type {
    std::exception_ptr* ex_;
    T* value_;
  };

  awaitable_async_op_handler(awaitable_thread<Executor>* h, result_type& result)
      : awaitable_thread<Executor>(std::move(*h)), result_(result) {}

  void operator()(std::exception_ptr ex, T value) {
    result_.ex_ = &ex;
    result_.value_ = &value;
    this->entry_point()->top_of_stack_->attach_thread(this);
    this->entry_point()->top_of_stack_->clear_cancellation_slot();
    this->pump();
  }

  static T resume(result_type& result) {
    if (*result.ex_) {
      std::exception_ptr ex = std::exchange(*result.ex_, nullptr);
      std::rethrow_exception(ex);
    }
    return std::move(*result.value_);
  }

 private:
  result_type& result_;
};

}  // namespace boost::asio::detail
#endif
