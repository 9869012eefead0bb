// Service logs beyond one call: the paging cursor (no I/O) and the walk and follow
// operations that drive it.
#include <aiven/logs.hpp>

#include <aiven/api/service.hpp>

#include "spawn_op.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace aiven {

namespace asio = boost::asio;
using sys_clock = std::chrono::system_clock;
using std::chrono::milliseconds;

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, out);
  return ec == std::errc{} && p == s.data() + pos + n;
}

}  // namespace

std::optional<sys_clock::time_point> parse_log_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.f...](Z|+HH:MM|-HH:MM)
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (!digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || !digits(s, 8, 2, d) || !digits(s, 11, 2, h) ||
      !digits(s, 14, 2, mi) || !digits(s, 17, 2, sec))
    return std::nullopt;
  std::size_t i = 19;
  std::int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int n = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++n)
      if (n < 6) micros = micros * 10 + (s[i] - '0');
    if (n == 0) return std::nullopt;
    for (; n < 6; ++n) micros *= 10;
  }
  int offset_min = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om))
      return std::nullopt;
    offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  auto tp = sys_clock::time_point(std::chrono::sys_days(ymd).time_since_epoch()) + std::chrono::hours(h) +
            std::chrono::minutes(mi - offset_min) + std::chrono::seconds(sec);
  return tp + std::chrono::duration_cast<sys_clock::duration>(std::chrono::microseconds(micros));
}

log_cursor::log_cursor(std::optional<sys_clock::time_point> from, std::optional<sys_clock::time_point> to)
    : from_(from), to_(to) {}

api::project_get_service_logs_in log_cursor::next_request(std::int64_t page_size) const {
  api::project_get_service_logs_in in;
  in.limit = page_size;
  in.sort_order = api::sort_order_type::asc;
  in.offset = offset_;
  return in;
}

bool log_cursor::feed(api::project_get_service_logs_out page, std::vector<api::log_out>& out) {
  const bool moved = !offset_ || *offset_ != page.offset;
  bool any_new = false;
  for (auto& e : page.logs) {
    const auto t = e.time ? parse_log_time(*e.time) : std::nullopt;
    if (t) {
      // Time order: anything older than what was given is a repeat; at the same time, a
      // repeat is an entry equal to one given with that time.
      if (last_time_ && *t < *last_time_) continue;
      if (last_time_ && *t == *last_time_) {
        if (std::find(at_last_time_.begin(), at_last_time_.end(), e) != at_last_time_.end()) continue;
      } else {
        at_last_time_.clear();
        last_time_ = t;
      }
      at_last_time_.push_back(e);
    }
    any_new = true;
    if (t && to_ && *t > *to_) {
      past_end_ = true;
      break;
    }
    if ((from_ || to_) && !t) continue;  // cannot tell whether it is within the bounds
    if (t && from_ && *t < *from_) continue;
    out.push_back(std::move(e));
  }
  offset_ = std::move(page.offset);
  return !any_new || !moved;
}

namespace {

// One ProjectGetServiceLogs call with the cursor's next request; `left` bounds it.
asio::awaitable<error_code> fetch(const client& c, const std::string& project, const std::string& service,
                                  const log_cursor& cur, std::int64_t page_size, diagnostics& diag,
                                  api::project_get_service_logs_out& page, std::optional<milliseconds> left) {
  api::project_get_service_logs_request req{.project = project, .service_name = service,
                                            .body = cur.next_request(page_size)};
  call_options co = c.call_overrides();
  co.idempotent = true;  // a POST that only reads: safe to retry after a transient failure
  if (left) co.timeout = std::max(*left, milliseconds(1));
  const client bounded = c.with(co);
  auto [ec, out] = co_await api::async_project_get_service_logs(bounded, std::move(req), diag,
                                                                asio::as_tuple(asio::use_awaitable));
  page = std::move(out);
  co_return ec;
}

bool valid_page_size(std::int64_t n) { return n >= 1 && n <= 500; }

}  // namespace

namespace detail {

void walk_service_logs_erased(const client& c, std::string project, std::string service, log_walk_options opts,
                              diagnostics* diag,
                              boost::asio::any_completion_handler<void(error_code, std::vector<api::log_out>)> handler) {
  auto body = [project = std::move(project), service = std::move(service), opts = std::move(opts)](
                  const client& c, diagnostics& d, std::vector<api::log_out>& all) -> asio::awaitable<error_code> {
    d.clear();
    if (!valid_page_size(opts.page_size)) {
      d.client_message = "log_walk_options::page_size must be 1..500";
      co_return errc::invalid_argument;
    }
    log_cursor cur(opts.from, opts.to);
    for (;;) {
      api::project_get_service_logs_out page;
      if (auto ec = co_await fetch(c, project, service, cur, opts.page_size, d, page, std::nullopt)) co_return ec;
      std::vector<api::log_out> fresh;
      const bool caught_up = cur.feed(std::move(page), fresh);
      if (opts.on_entries) {
        if (!fresh.empty()) opts.on_entries(fresh);
      } else {
        std::move(fresh.begin(), fresh.end(), std::back_inserter(all));
      }
      if (caught_up || cur.past_end()) co_return error_code{};
    }
  };
  spawn_helper<std::vector<api::log_out>>(c, diag, std::move(handler), std::move(body), "walk_service_logs");
}

void follow_service_logs_erased(const client& c, std::string project, std::string service, log_follow_options opts,
                                diagnostics* diag,
                                boost::asio::any_completion_handler<void(error_code, std::size_t)> handler) {
  auto body = [project = std::move(project), service = std::move(service), opts = std::move(opts)](
                  const client& c, diagnostics& d, std::size_t& delivered) -> asio::awaitable<error_code> {
    d.clear();
    if (!valid_page_size(opts.page_size) || opts.interval.count() <= 0 || !opts.on_entries ||
        (opts.timeout && opts.timeout->count() < 0)) {
      d.client_message = "invalid log_follow_options (page_size 1..500, interval > 0, on_entries set, timeout >= 0)";
      co_return errc::invalid_argument;
    }
    using steady = std::chrono::steady_clock;
    const auto deadline = opts.timeout ? steady::now() + *opts.timeout : steady::time_point::max();
    // Rounded up: a bound rounded down would end the follow (or its last poll) before the deadline.
    auto left = [&]() -> std::optional<milliseconds> {
      if (!opts.timeout) return std::nullopt;
      return std::chrono::ceil<milliseconds>(deadline - steady::now());
    };
    auto past_deadline = [&] { return opts.timeout && steady::now() >= deadline; };
    log_cursor cur(opts.from, std::nullopt);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    unsigned polls = 0;
    for (;;) {
      // Page until caught up, then pause.
      for (bool caught_up = false; !caught_up;) {
        if (past_deadline()) co_return error_code{};
        api::project_get_service_logs_out page;
        error_code ec = co_await fetch(c, project, service, cur, opts.page_size, d, page, left());
        ++polls;
        if (ec == errc::timeout && past_deadline()) co_return error_code{};  // the caller's deadline
        if (ec == asio::error::operation_aborted) d.client_message = "log follow cancelled after " +
                                                                      std::to_string(polls) + " polls";
        if (ec) co_return ec;
        std::vector<api::log_out> fresh;
        caught_up = cur.feed(std::move(page), fresh);
        if (!fresh.empty()) {
          delivered += fresh.size();
          try {
            opts.on_entries(fresh);
          } catch (const std::exception& e) {
            d.client_message = std::string("log follow: on_entries threw: ") + e.what();
            co_return errc::invalid_argument;
          }
        }
      }
      auto pause = opts.interval;
      if (past_deadline()) co_return error_code{};
      if (auto l = left()) pause = std::min(pause, *l);
      timer.expires_after(pause);
      auto [wec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (wec) {
        d.client_message = "log follow cancelled after " + std::to_string(polls) + " polls";
        co_return asio::error::operation_aborted;
      }
    }
  };
  spawn_helper<std::size_t>(c, diag, std::move(handler), std::move(body), "follow_service_logs");
}

}  // namespace detail
}  // namespace aiven
