#include "core/retry.hpp"

#include <boost/asio/error.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <string>

namespace aiven::detail {

std::optional<ms> parse_retry_after(std::string_view v, std::chrono::system_clock::time_point now) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // Capped at a year, as the date below: 999999999 s in nanoseconds overflows the clock.
    if (v.size() > 8) return ms(std::chrono::hours(24 * 365));
    long secs = std::min(std::stol(std::string(v)), 365L * 24 * 3600);
    return ms(secs * 1000);
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::string s(v);
  const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  // Compared in seconds first: a date centuries away overflows the clock's
  // nanoseconds. Past dates mean now; far ones are capped at a year, as above.
  const std::time_t at = ::timegm(&tm);
  const std::time_t base = std::chrono::system_clock::to_time_t(now);
  if (at <= base) return ms(0);
  if (at - base > 365L * 24 * 3600) return ms(std::chrono::hours(24 * 365));
  auto d = std::chrono::duration_cast<ms>(std::chrono::system_clock::from_time_t(at) - now);
  return d.count() > 0 ? d : ms(0);
}

std::optional<ms> parse_try_again_hint(std::string_view m) {
  static constexpr std::string_view key = "try again in ";
  // Clamped as Retry-After is: "200000000m" would overflow the clock's nanoseconds.
  constexpr long cap_ms = 365L * 24 * 3600 * 1000;
  for (std::size_t i = 0; i + key.size() <= m.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < key.size() && match; ++j)
      match = std::tolower(static_cast<unsigned char>(m[i + j])) == key[j];
    if (!match) continue;
    std::size_t p = i + key.size();
    long n = 0;
    std::size_t digits = 0;
    while (p < m.size() && std::isdigit(static_cast<unsigned char>(m[p]))) {
      n = std::min(n * 10 + (m[p] - '0'), cap_ms);  // saturates: every unit is at least 1 ms
      ++p;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    std::string_view unit = m.substr(p, 2);
    long scale = 1000;  // "s", or no unit
    if (unit.starts_with("ms"))
      scale = 1;
    else if (unit.starts_with("m"))
      scale = 60'000;
    return ms(n > cap_ms / scale ? cap_ms : n * scale);
  }
  return std::nullopt;
}

steady::time_point deadline_after(steady::time_point now, ms timeout) noexcept {
  if (timeout <= ms::zero()) return now;
  // Compared in milliseconds: milliseconds::max() itself overflows the clock's nanoseconds.
  auto room = std::chrono::duration_cast<ms>(steady::time_point::max() - now);
  if (timeout >= room) return steady::time_point::max();
  return now + std::chrono::duration_cast<steady::duration>(timeout);
}

namespace {

bool is_transport_error(const error_code& ec) {
  if (ec.category() == aiven_category()) return static_cast<errc>(ec.value()) == errc::connection_lost;
  return ec != boost::asio::error::operation_aborted;
}

}  // namespace

ms retry_state::refusal_backoff() {
  // A 429 without a hint: the backoff of the refusals so far (they are not attempts).
  const unsigned saved = attempts_;
  attempts_ = refusals_;
  const ms d = backoff();
  attempts_ = saved;
  return d;
}

ms retry_state::backoff() {
  double cap = static_cast<double>(opts_.initial_backoff.count()) *
               std::pow(opts_.multiplier, static_cast<double>(attempts_ > 0 ? attempts_ - 1 : 0));
  cap = std::min(cap, static_cast<double>(opts_.max_backoff.count()));
  if (cap < 1) return ms(0);
  std::uniform_int_distribution<long> dist(0, static_cast<long>(cap));  // full jitter
  return ms(dist(rng_));
}

retry_step retry_state::on_attempt(const attempt_result& r) {
  retry_step step;
  step.final_ec = r.ec;
  if (!r.ec) return step;
  if (r.ec == errc::rate_limited) {
    // "Not now", not a failure: it does not use up max_attempts; the deadline and
    // max_rate_limit_wait bound the waiting instead.
    ++refusals_;
    step.shared_pause = true;
    // A hint of "0s" is no wait at all: back off as if there were none.
    step.delay = r.retry_after && r.retry_after->count() > 0 ? *r.retry_after : refusal_backoff();
    if (step.delay > opts_.max_rate_limit_wait - rate_limit_waited_) return step;  // no retry
    rate_limit_waited_ += step.delay;
    step.retry = true;
    return step;
  }
  ++attempts_;

  bool retryable = false;
  if (r.ec.category() == aiven_category()) {
    switch (static_cast<errc>(r.ec.value())) {
      case errc::request_timeout:
      case errc::server_error:
      case errc::not_implemented:
      case errc::bad_response:  // executed but unreadable: only a safe call may be repeated
        retryable = idempotent_;
        break;
      case errc::connection_lost:
        retryable = idempotent_ || !r.may_have_reached_server;
        break;
      default:
        retryable = false;  // 4xx, timeout, body_too_large, invalid_argument, ...
    }
  } else if (is_transport_error(r.ec)) {
    retryable = idempotent_ || !r.may_have_reached_server;
    if (!retryable && r.may_have_reached_server) step.final_ec = errc::connection_lost;
  }
  if (!retryable || attempts_ >= opts_.max_attempts) return step;

  step.retry = true;
  step.delay = r.retry_after ? *r.retry_after : backoff();
  return step;
}

void limiter::pause_until(steady::time_point until) {
  std::lock_guard lk(mu_);
  paused_until_ = std::max(paused_until_, until);
}

steady::time_point limiter::paused_until() const {
  std::lock_guard lk(mu_);
  return paused_until_;
}

steady::time_point limiter::blocked_until(steady::time_point now) const {
  const auto closed = governor_ ? governor_->closed_until(now) : steady::time_point{};
  return std::max(paused_until(), closed);
}

rate_admission limiter::admit(steady::time_point now, std::minstd_rand& rng, const rate_admission* decided) {
  steady::time_point at = now;
  if (decided) {
    if (!decided->reserved) return *decided;
    at = decided->at;
  } else if (governor_) {
    const auto g = governor_->admit(now);
    if (!g.reserved) return g;  // the token's budget is closed until then: ask again
    at = g.at;
  }
  std::lock_guard lk(mu_);
  if (paused_until_ > at) {
    // Resume spread over a window so that the callers held back by a 429 do
    // not all hit the limit again in the same instant.
    long spread = static_cast<long>(spread_.count());
    std::uniform_int_distribution<long> dist(0, spread > 0 ? spread : 0);
    at = paused_until_ + ms(dist(rng));
  }
  if (rl_.requests_per_second > 0) {
    // Token bucket with reservations: tokens may go negative, and each caller
    // waits for the moment its own token is refilled, in arrival order.
    if (refilled_ == steady::time_point{}) refilled_ = now;
    double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(rl_.burst, tokens_ + elapsed * rl_.requests_per_second);
    refilled_ = now;
    tokens_ -= 1;
    if (tokens_ < 0) {
      auto wait = std::chrono::duration<double>(-tokens_ / rl_.requests_per_second);
      at = std::max(at, now + std::chrono::duration_cast<steady::duration>(wait));
    }
  }
  return {at, true};
}

void limiter::on_answer(steady::time_point now, steady::time_point sent_at, bool refused, std::optional<ms> hint) {
  if (!governor_) return;
  if (refused)
    governor_->on_refused(now, sent_at, hint);
  else
    governor_->on_accepted(now, sent_at);
}

namespace {
std::string digest(std::string_view host, std::string_view authorization) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  std::string in(host);
  in += '\n';
  in += authorization;
  EVP_Digest(in.data(), in.size(), md, &len, EVP_sha256(), nullptr);
  OPENSSL_cleanse(in.data(), in.size());
  return std::string(reinterpret_cast<const char*>(md), len);
}
}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string token_key(std::string_view host, std::string_view authorization) {
  return hex(digest(host, authorization));
}

std::shared_ptr<rate_governor> governor_for(std::string_view host, std::string_view authorization) {
  std::string key = digest(host, authorization);
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<rate_governor>> registry;
  std::lock_guard lk(mu);
  for (auto it = registry.begin(); it != registry.end();)  // forget the governors no client holds
    it = it->second.expired() ? registry.erase(it) : std::next(it);
  auto& slot = registry[key];
  auto g = slot.lock();
  if (!g) {
    g = std::make_shared<rate_governor>();
    slot = g;
  }
  return g;
}

}  // namespace aiven::detail
