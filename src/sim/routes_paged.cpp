// The simulator's paged lists: the two paging styles of the API document that
// the simulator serves (a cursor with `after`/`next`, and `limit`/`offset`),
// with the API's page size limit of 250.
#include "sim/state.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <charconv>
#include <cstdio>

namespace aiven::sim::detail {
namespace {

namespace json = boost::json;

constexpr std::int64_t max_page = 250;
constexpr std::int64_t default_page = 100;

api_response reply(unsigned status, std::string body) {
  return {status, std::make_shared<const std::string>(std::move(body)), status == 200};
}
api_response fail(unsigned status, std::string_view message) {
  return {status, std::make_shared<const std::string>(error_body(message, status)), status != 404 && status != 401};
}

// The value of query parameter `name`, decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name, bool& bad) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string out;
    if (eq == std::string_view::npos) return out;
    if (!percent_decode(pair.substr(eq + 1), out)) bad = true;
    return out;
  }
  return std::nullopt;
}

// A non-negative integer parameter within [lo, hi]; `def` when absent.
bool int_param(std::string_view query, std::string_view name, std::int64_t def, std::int64_t lo, std::int64_t hi,
               std::int64_t& out, std::string& why) {
  bool bad = false;
  auto v = query_param(query, name, bad);
  out = def;
  if (!v) return true;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (bad || ec != std::errc{} || p != v->data() + v->size() || out < lo || out > hi) {
    why = std::string(name) + " must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi);
    return false;
  }
  return true;
}

std::string item_name(const char* prefix, std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%06zu", prefix, i);
  return buf;
}

}  // namespace

std::optional<api_response> api_state::handle_paged(std::string_view method, std::string_view target,
                                                    bool authorized) const {
  auto qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  std::string_view query = qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);
  // /v1/project/{p}/service/{s}/db and /v1/project/{p}/service/{s}/clickhouse/query/stats
  std::array<std::string, 9> seg;
  std::size_t n = 0;
  if (!path.starts_with("/v1/project/")) return std::nullopt;
  path.remove_prefix(1);
  while (n < seg.size()) {
    auto slash = path.find('/');
    if (!percent_decode(path.substr(0, slash), seg[n])) return std::nullopt;
    ++n;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (n < 5 || seg[3] != "service") return std::nullopt;
  const bool dbs = n == 6 && seg[5] == "db";
  const bool stats = n == 8 && seg[5] == "clickhouse" && seg[6] == "query" && seg[7] == "stats";
  if (!dbs && !stats) return std::nullopt;
  if (!authorized) return fail(401, "Invalid token");
  if (method != "GET") return api_response{405, std::make_shared<const std::string>(error_body("Method not allowed", 405)), false};
  if (!has_service(seg[2], seg[4])) return fail(404, "Service does not exist");
  const std::size_t total = paged_items_.load(std::memory_order_relaxed);
  std::string why;

  if (dbs) {
    std::int64_t page;
    if (!int_param(query, "maxItems", default_page, 1, max_page, page, why)) return fail(400, why);
    bool bad = false;
    auto after = query_param(query, "after", bad);
    if (bad) return fail(400, "Invalid percent-encoding in query");
    // Names sort in index order, so "after" is a position.
    std::size_t start = 0;
    while (after && start < total && item_name("db-", start) <= *after) ++start;
    json::array list;
    std::size_t end = std::min(total, start + static_cast<std::size_t>(page));
    for (std::size_t i = start; i < end; ++i)
      list.push_back(json::object{{"database_name", item_name("db-", i)}, {"lc_collate", "en_US.UTF-8"}});
    json::object out{{"databases", std::move(list)}};
    if (end < total) out["next"] = item_name("db-", end - 1);
    return reply(200, json::serialize(out));
  }

  std::int64_t limit, offset;
  if (!int_param(query, "limit", default_page, 1, max_page, limit, why)) return fail(400, why);
  if (!int_param(query, "offset", 0, 0, 1'000'000'000, offset, why)) return fail(400, why);
  json::array list;
  for (std::size_t i = static_cast<std::size_t>(offset); i < total && i < static_cast<std::size_t>(offset + limit); ++i)
    list.push_back(json::object{{"query", "SELECT " + std::to_string(i)}, {"calls", static_cast<std::int64_t>(i + 1)},
                                {"database", "defaultdb"}});
  return reply(200, json::serialize(json::object{{"queries", std::move(list)}}));
}

}  // namespace aiven::sim::detail
