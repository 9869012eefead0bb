// Walking paged lists lazily, one page per request, never asking for more than
// the API's largest page (250 items; the API refuses more on some lists).
//
// The paged operations of the API document and how they page:
//   ServiceDatabaseList               `after` cursor, `max_items` (`maxItems`), response `next`
//   OrganizationGovernanceAccessList  `cursor`, `limit`, response `next`
//   UpgradePipelineStepList           `cursor`, `limit`, response `next`
//   ServiceClickHouseQueryStats       `limit`, `offset` (a short page is the last)
//   ProjectGetServiceLogs             body `limit` and `offset`, response `offset`
// The style is recognised from the request type's members. `fetch` calls the
// operation with the completion token it is given:
//
//   auto fetch = [&](auto req, auto token) { return aiven::api::async_service_database_list(c, std::move(req), token); };
//   auto req = aiven::api::service_database_list_request{.project = "p", .service_name = "pg"};
//   co_await aiven::for_each_page(req, fetch, [](const auto& page) { ... });
//
//   aiven::pager pages(req, fetch);                // or one page at a time
//   while (auto page = co_await pages.next()) { ... }
//
// next() and for_each_page() are asynchronous operations like the generated
// ones: `(..., diagnostics&, Token)` and `(..., Token)` overloads, the default
// token (failures throw aiven::api_error), and any other completion token; they
// run on the completion handler's associated executor. A pager must outlive
// the next() in progress, as a socket outlives its reads.
//
// A server that loops (a cursor seen before: A, B, A, ...; the logs' offset
// handed back unchanged) ends the walk with errc::bad_response and a
// client_message saying so, never an endless walk.
#pragma once

#include <aiven/error.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <aiven/detail/owned_cancellation.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace aiven {

/// The largest page any list of the API hands out.
inline constexpr std::int64_t max_page_size = 250;

namespace detail::paging {

template <class R>
concept cursor_style = requires(R r) { r.cursor = std::string(); r.limit = std::int64_t(); };
template <class R>
concept after_style = requires(R r) { r.after = std::string(); r.max_items = std::int64_t(); };
template <class R>
concept offset_style = !cursor_style<R> && requires(R r) { r.offset = std::int64_t(); r.limit = std::int64_t(); };
template <class R>
concept body_offset_style = requires(R r) { r.body.offset = std::string(); r.body.limit = std::int64_t(); };

inline std::int64_t clamp_page(const std::optional<std::int64_t>& asked) {
  return std::clamp<std::int64_t>(asked.value_or(max_page_size), 1, max_page_size);
}

// `next` is a cursor or, on some lists, the URL of the next page: take the cursor from it.
inline std::string cursor_of(const std::string& next, const char* param) {
  if (next.find('?') == std::string::npos) return next;
  auto u = boost::urls::parse_uri_reference(next);
  if (!u) return next;
  for (auto p : u->params())
    if (p.key == param) return p.value;
  return next;
}

// The page type of what `fetch` returns: an operation started with the default
// token (a deferred operation completing with (exception_ptr, T)), or an awaitable<T>.
template <class Op>
struct page_of {
  using type = typename Op::value_type;
};
template <class T, class Initiation, class... Args>
struct page_of<boost::asio::deferred_async_operation<void(std::exception_ptr, T), Initiation, Args...>> {
  using type = T;
};

/// Every cursor a walk has been handed (compiled: src/util/paginate.cpp).
class cursor_memory {
 public:
  cursor_memory();
  ~cursor_memory();
  cursor_memory(cursor_memory&&) noexcept;
  cursor_memory& operator=(cursor_memory&&) noexcept;
  cursor_memory(const cursor_memory&);
  /// Throws api_error(errc::bad_response) when `cursor` was seen before in this walk.
  void remember(const std::string& cursor, const char* what, std::size_t pages);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Runs `body` (a coroutine completing with the result, throwing api_error on failure)
/// on a strand of the handler's executor and completes the handler with (error_code,
/// result), the api_error's diagnostics copied into *diag. The caller's cancellation
/// reaches the body as owned_cancellation says.
template <class Result, class Handler, class Body>
void run_erased(Handler handler, diagnostics* diag, Body body) {
  using state = owned_cancellation;
  auto st = std::make_shared<state>();
  auto slot = boost::asio::get_associated_cancellation_slot(handler);
  auto ex = boost::asio::get_associated_executor(handler);
  auto strand = boost::asio::make_strand(ex);
  auto h = std::make_shared<Handler>(std::move(handler));
  if (diag) diag->clear();
  owned_cancellation::forward(slot, st, strand);
  boost::asio::co_spawn(
      strand,
      [st, body = std::move(body)]() mutable -> boost::asio::awaitable<Result> {
        struct mark {
          state& s;
          ~mark() { s.finished = true; }
        } m{*st};
        co_return co_await body();
      },
      boost::asio::bind_cancellation_slot(
          st->signal.slot(), boost::asio::bind_executor(ex, [st, h, diag, slot](std::exception_ptr ep, Result r) mutable {
            if (slot.is_connected()) slot.clear();
            error_code ec;
            if (ep) {
              try {
                std::rethrow_exception(ep);
              } catch (const api_error& e) {
                ec = e.code();
                if (diag) *diag = e.get_diagnostics();
              } catch (const boost::system::system_error& e) {
                ec = e.code();
              } catch (const std::exception& e) {
                ec = errc::bad_response;
                if (diag) diag->client_message = std::string("paging: ") + e.what();
              }
            }
            std::move(*h)(ec, std::move(r));
          })));
}

}  // namespace detail::paging


/// One page per next(), fetched only when asked for.
template <class Request, class Fetch>
class pager {
 public:
  /// What `fetch` is given: the default token (failures throw api_error with diagnostics).
  using token_type = default_token;
  using response_type = typename detail::paging::page_of<std::invoke_result_t<Fetch&, Request, token_type&>>::type;
  using signature = void(error_code, std::optional<response_type>);

  pager(Request first, Fetch fetch) : req_(std::move(first)), fetch_(std::move(fetch)) {
    namespace pg = detail::paging;
    if constexpr (pg::cursor_style<Request> || pg::offset_style<Request>)
      req_.limit = pg::clamp_page(req_.limit);
    else if constexpr (pg::after_style<Request>)
      req_.max_items = pg::clamp_page(req_.max_items);
    else if constexpr (pg::body_offset_style<Request>)
      req_.body.limit = pg::clamp_page(req_.body.limit);
    else
      static_assert(sizeof(Request) == 0, "aiven::pager: this request type is not a paged one");
  }

  /// The next page, or nullopt after the last one. Completes with
  /// void(error_code, std::optional<response_type>).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(signature) Token = default_token>
  auto next(diagnostics& diag, Token&& token = {}) {
    return initiate_next(&diag, std::forward<Token>(token));
  }
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(signature) Token = default_token>
    requires(!std::is_same_v<std::remove_cvref_t<Token>, diagnostics>)
  auto next(Token&& token = {}) {
    return initiate_next(nullptr, std::forward<Token>(token));
  }

  /// The request the next page will be fetched with (its page size already capped).
  const Request& request() const noexcept { return req_; }
  std::size_t pages_fetched() const noexcept { return pages_; }
  bool done() const noexcept { return done_; }

  /// The body of next() as a coroutine that throws api_error (used by for_each_page).
  boost::asio::awaitable<std::optional<response_type>> next_page() {
    namespace pg = detail::paging;
    if (done_) co_return std::nullopt;
    Request req = req_;
    token_type token;
    auto op = fetch_(std::move(req), token);
    response_type page = co_await std::move(op);
    ++pages_;
    if constexpr (pg::cursor_style<Request> || pg::after_style<Request>) {
      auto& cursor = [this]() -> auto& {
        if constexpr (pg::cursor_style<Request>) return req_.cursor;
        else return req_.after;
      }();
      if (!page.next || page.next->empty()) {
        done_ = true;
      } else {
        std::string c = pg::cursor_of(*page.next, pg::cursor_style<Request> ? "cursor" : "after");
        if (pages_ == 1 && cursor) seen_.remember(*cursor, "cursor", 0);
        seen_.remember(c, "cursor", pages_);
        cursor = std::move(c);
      }
    } else if constexpr (pg::offset_style<Request>) {
      // The response is the list itself; a short page is the last one.
      const auto n = static_cast<std::int64_t>(page.size());
      if (n < *req_.limit) done_ = true;
      req_.offset = req_.offset.value_or(0) + n;
    } else {
      const auto n = static_cast<std::int64_t>(page.logs.size());
      if (n < *req_.body.limit || page.offset.empty()) {
        done_ = true;
      } else {
        if (pages_ == 1 && req_.body.offset) seen_.remember(*req_.body.offset, "offset", 0);
        seen_.remember(page.offset, "offset", pages_);
        req_.body.offset = page.offset;
      }
    }
    co_return std::optional<response_type>(std::move(page));
  }

 private:
  template <class Token>
  auto initiate_next(diagnostics* diag, Token&& token) {
    return boost::asio::async_initiate<Token, signature>(
        [](auto handler, diagnostics* d, pager* self) {
          detail::paging::run_erased<std::optional<response_type>>(std::move(handler), d,
                                                                  [self] { return self->next_page(); });
        },
        token, diag, this);
  }

  Request req_;
  Fetch fetch_;
  detail::paging::cursor_memory seen_;
  std::size_t pages_ = 0;
  bool done_ = false;
};

namespace detail::paging {

template <class Request, class Fetch, class OnPage>
boost::asio::awaitable<std::size_t> walk(Request first, Fetch fetch, OnPage on_page) {
  pager<Request, Fetch> p(std::move(first), std::move(fetch));
  while (auto page = co_await p.next_page()) {
    if constexpr (std::is_same_v<std::invoke_result_t<OnPage&, const typename pager<Request, Fetch>::response_type&>,
                                 bool>) {
      if (!on_page(std::as_const(*page))) break;
    } else {
      on_page(std::as_const(*page));
    }
  }
  co_return p.pages_fetched();
}

template <class Request, class Fetch, class OnPage, class Token>
auto initiate_walk(Request first, Fetch fetch, OnPage on_page, diagnostics* diag, Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, std::size_t)>(
      [](auto handler, diagnostics* d, Request r, Fetch f, OnPage o) {
        run_erased<std::size_t>(std::move(handler), d,
                                [r = std::move(r), f = std::move(f), o = std::move(o)]() mutable {
                                  return walk(std::move(r), std::move(f), std::move(o));
                                });
      },
      token, diag, std::move(first), std::move(fetch), std::move(on_page));
}

}  // namespace detail::paging

/// Calls `on_page(page)` for every page in order; it may return false to stop
/// early. Completes with void(error_code, std::size_t pages fetched).
template <class Request, class Fetch, class OnPage,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::size_t)) Token = default_token>
auto for_each_page(Request first, Fetch fetch, OnPage on_page, diagnostics& diag, Token&& token = {}) {
  return detail::paging::initiate_walk(std::move(first), std::move(fetch), std::move(on_page), &diag,
                                       std::forward<Token>(token));
}
template <class Request, class Fetch, class OnPage,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::size_t)) Token = default_token>
  requires(!std::is_same_v<std::remove_cvref_t<Token>, diagnostics>)
auto for_each_page(Request first, Fetch fetch, OnPage on_page, Token&& token = {}) {
  return detail::paging::initiate_walk(std::move(first), std::move(fetch), std::move(on_page), nullptr,
                                       std::forward<Token>(token));
}

}  // namespace aiven
