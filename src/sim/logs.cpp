// Service logs (ProjectGetServiceLogs), paged as the API pages them: at most 500 entries a
// call, `offset` an opaque position, `sort_order` asc or desc. Here an offset is the index
// of an entry in the service's log:
//   asc  (the default): entries from `offset` on, oldest first; the answer's `offset` is
//        where the next call continues (one past the last entry given), so a caller that
//        passes it back gets only newer entries, and the same offset when none came.
//   desc: entries before `offset` (default: the end), newest first; the answer's `offset`
//        is the oldest one given, where the next desc call continues.
// `first_log_offset` is the offset of the first entry given. New entries come from
// simulator::add_service_logs and a seed's "log_entries".
#include "sim/records.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <charconv>

namespace aiven::sim::detail {

namespace json = boost::json;

void append_logs(service_rec& s, std::size_t n) {
  static constexpr const char* units[] = {"systemd", "postgresql", "kafka", "pglookout", "aiven-agent"};
  static constexpr const char* severities[] = {"INFO", "INFO", "INFO", "NOTICE", "WARNING"};
  auto t = std::chrono::system_clock::now();
  s.logs.reserve(s.logs.size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    // Strictly increasing times, even for entries appended within the same microsecond.
    t = std::max(t, s.last_log_time + std::chrono::microseconds(1));
    s.last_log_time = t;
    const std::size_t k = s.logs.size();
    s.logs.push_back(log_entry{format_time(t), "entry " + std::to_string(k) + " of " + s.project + "/" + s.name,
                               units[k % 5], severities[k % 5]});
  }
}

namespace {

constexpr std::int64_t max_limit = 500;

json::object entry_json(const log_entry& e) {
  return json::object{{"time", e.time}, {"msg", e.msg}, {"unit", e.unit}, {"severity", e.severity}};
}

api_response service_logs(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const json::object* b = r.body.if_object();
  std::int64_t limit = 100;
  std::optional<std::size_t> offset;
  bool desc = false;
  if (b != nullptr) {
    if (auto l = b->if_contains("limit"); l && !l->is_null()) {
      if (!l->is_int64() || l->get_int64() < 1) return error(400, "Invalid limit: expected an integer >= 1", "bad_request");
      limit = std::min(l->get_int64(), max_limit);  // the API gives at most 500 a call
    }
    if (auto o = b->if_contains("offset"); o && !o->is_null()) {
      std::size_t v = 0;
      const auto* str = o->if_string();
      if (str == nullptr) return error(400, "Invalid offset", "bad_request");
      auto [p, ec] = std::from_chars(str->data(), str->data() + str->size(), v);
      if (ec != std::errc{} || p != str->data() + str->size() || str->empty())
        return error(400, "Invalid offset", "bad_request");
      offset = std::min(v, s->logs.size());
    }
    if (auto so = b->if_contains("sort_order"); so && !so->is_null()) {
      if (!so->is_string() || (so->get_string() != "asc" && so->get_string() != "desc"))
        return error(400, "Invalid sort_order: expected asc or desc", "bad_request");
      desc = so->get_string() == "desc";
    }
  }
  const std::size_t n = s->logs.size(), lim = static_cast<std::size_t>(limit);
  json::array logs;
  std::size_t first = 0, next = 0;
  if (!desc) {
    const std::size_t start = offset.value_or(0), end = std::min(n, start + lim);
    for (std::size_t i = start; i < end; ++i) logs.push_back(entry_json(s->logs[i]));
    first = start;
    next = end;
  } else {
    const std::size_t end = offset.value_or(n), start = end > lim ? end - lim : 0;
    for (std::size_t i = end; i > start; --i) logs.push_back(entry_json(s->logs[i - 1]));
    first = end > 0 ? end - 1 : 0;
    next = start;
  }
  json::object out{{"logs", std::move(logs)},
                   {"offset", std::to_string(next)},
                   {"first_log_offset", std::to_string(first)}};
  return ok_json(out);
}

constexpr handler_entry table[] = {
    {"ProjectGetServiceLogs", service_logs, false},
};

}  // namespace

std::span<const handler_entry> log_handlers() { return table; }

}  // namespace aiven::sim::detail
