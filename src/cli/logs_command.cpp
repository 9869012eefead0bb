// `aiven service logs`: the library's log walk and follow on the command line.
#include "logs_command.hpp"

#include "engine.hpp"
#include "wait_command.hpp"

#include <aiven/logs.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <map>
#include <stdexcept>

namespace aiven::cli {

namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

// An ISO 8601 time, or a duration before now ("10m": ten minutes ago).
std::chrono::system_clock::time_point parse_when(const std::string& opt, const std::string& v) {
  if (auto t = parse_log_time(v)) return *t;
  if (auto d = parse_duration(v)) return std::chrono::system_clock::now() - *d;
  throw std::invalid_argument("invalid value for --" + opt + ": expected an ISO 8601 time (2026-12-02T15:00:00Z) or a " +
                              "duration before now (10m, 2h), got '" + v + "'");
}

std::string entry_line(const api::log_out& e, bool text) {
  if (text) {
    std::string s = e.time.value_or("-") + " " + e.unit.value_or("-") + " " + e.msg + "\n";
    return s;
  }
  json::object o;
  if (e.time) o["time"] = *e.time;
  if (e.unit) o["unit"] = *e.unit;
  if (e.severity) o["severity"] = *e.severity;
  o["msg"] = e.msg;
  return json::serialize(o) + "\n";
}

}  // namespace

std::string logs_help() {
  return "usage: aiven service logs --project P --service-name S [--since WHEN] [--until WHEN]\n"
         "                          [--follow [--interval DURATION] [--timeout DURATION]]\n\n"
         "A service's log (ProjectGetServiceLogs), oldest first, every entry once, past the API's 500\n"
         "entries a call: the calls page with sort_order asc from the oldest entry the API keeps.\n\n"
         "Options:\n"
         "  --project NAME, --service-name NAME   (required) the service\n"
         "  --since WHEN, --until WHEN            entries at or after / at or before WHEN: an ISO 8601 time\n"
         "                                        (2026-12-02T15:00:00Z) or a duration before now (10m, 2h)\n"
         "  --follow                              then keep polling for new entries until interrupted\n"
         "  --interval DURATION                   with --follow: the pause between polls (default 2s)\n"
         "  --timeout DURATION                    with --follow: stop after this long (exit 0)\n\n"
         "Output: one entry a line; compact JSON {\"time\",\"unit\",\"severity\",\"msg\"} when stdout is not a\n"
         "terminal or with --compact, \"TIME UNIT MESSAGE\" on a terminal.\n";
}

int run_logs(const std::vector<std::pair<std::string, std::string>>& options, const client_options& opts, bool follow,
             std::optional<milliseconds> deadline, bool text) {
  std::map<std::string, std::string> given;
  for (const auto& [name, value] : options) {
    if (name != "project" && name != "service-name" && name != "since" && name != "until" && name != "interval")
      throw std::invalid_argument("unknown option --" + name + " for `aiven service logs` (see aiven service logs --help)");
    given[name] = value;
  }
  for (const char* r : {"project", "service-name"})
    if (!given.count(r) || given[r].empty())
      throw std::invalid_argument(std::string("missing required option --") + r + " for `aiven service logs`");
  if (!follow && given.count("interval")) throw std::invalid_argument("--interval is for --follow");
  if (follow && given.count("until")) throw std::invalid_argument("--until does not go with --follow");

  boost::asio::io_context io;
  client_options co = opts;
  client c(io.get_executor(), co);
  diagnostics diag;
  error_code result;
  auto print = [text](std::span<const api::log_out> batch) {
    std::string chunk;
    for (const auto& e : batch) chunk += entry_line(e, text);
    std::fwrite(chunk.data(), 1, chunk.size(), stdout);
    std::fflush(stdout);  // a follower reads as entries come
  };
  if (follow) {
    log_follow_options f;
    if (given.count("since")) f.from = parse_when("since", given["since"]);
    if (given.count("interval")) {
      auto d = parse_duration(given["interval"]);
      if (!d || d->count() <= 0)
        throw std::invalid_argument("invalid value for --interval: expected a duration such as 2s, got '" +
                                    given["interval"] + "'");
      f.interval = *d;
    }
    f.timeout = deadline;
    f.on_entries = print;
    async_follow_service_logs(c, given["project"], given["service-name"], f, diag,
                              [&](error_code ec, std::size_t) { result = ec; });
  } else {
    log_walk_options w;
    if (given.count("since")) w.from = parse_when("since", given["since"]);
    if (given.count("until")) w.to = parse_when("until", given["until"]);
    w.on_entries = print;
    async_walk_service_logs(c, given["project"], given["service-name"], w, diag,
                            [&](error_code ec, std::vector<api::log_out>) { result = ec; });
  }
  io.run();
  if (result) {
    std::string t = json::serialize(error_json(result, diag, raw_response{})) + "\n";
    std::fwrite(t.data(), 1, t.size(), stderr);
    return exit_code_of(result);
  }
  return exit_ok;
}

}  // namespace aiven::cli
