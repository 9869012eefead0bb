// The log paging cursor and the log time parser, without I/O.
#include <aiven/logs.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace aiven;
using namespace std::chrono_literals;

namespace {

api::log_out entry(std::string time, std::string msg) {
  api::log_out e;
  e.time = std::move(time);
  e.msg = std::move(msg);
  return e;
}

api::project_get_service_logs_out page(std::vector<api::log_out> logs, std::string offset) {
  api::project_get_service_logs_out p;
  p.logs = std::move(logs);
  p.offset = std::move(offset);
  return p;
}

std::vector<std::string> msgs(const std::vector<api::log_out>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.msg);
  return out;
}

}  // namespace

TEST_SUITE("unit.logs") {
  TEST_CASE("parse_log_time: Z, fractions and offsets; junk is nullopt") {
    auto t = parse_log_time("2026-12-02T15:12:42.123456Z");
    REQUIRE(t);
    CHECK(std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count() % 1000000 == 123456);
    CHECK(parse_log_time("2026-12-02T16:12:42.123456+01:00") == t);
    CHECK(parse_log_time("2026-12-02T15:12:42.1234561Z") == t);  // beyond microseconds: cut
    CHECK(*parse_log_time("2026-12-02T15:12:43Z") - *parse_log_time("2026-12-02T15:12:42Z") == 1s);
    CHECK(*parse_log_time("1970-01-01T00:00:00Z") == std::chrono::system_clock::time_point{});
    CHECK_FALSE(parse_log_time(""));
    CHECK_FALSE(parse_log_time("2026-12-02 15:12:42"));     // no zone
    CHECK_FALSE(parse_log_time("2026-02-30T00:00:00Z"));    // no such day
    CHECK_FALSE(parse_log_time("2026-12-02T15:12:42.Z"));
    CHECK_FALSE(parse_log_time("2026-12-02T15:12:42Zjunk"));
  }

  TEST_CASE("the cursor asks asc from the last offset and is caught up when nothing new comes") {
    log_cursor cur(std::nullopt, std::nullopt);
    auto first = cur.next_request(500);
    CHECK(first.limit == 500);
    CHECK(first.sort_order->value() == api::sort_order_type::asc);
    CHECK_FALSE(first.offset);
    std::vector<api::log_out> out;
    CHECK_FALSE(cur.feed(page({entry("2026-01-01T00:00:01Z", "a"), entry("2026-01-01T00:00:02Z", "b")}, "2"), out));
    CHECK(cur.next_request(500).offset == "2");
    CHECK(cur.feed(page({}, "2"), out));  // nothing new: caught up
    CHECK(msgs(out) == std::vector<std::string>{"a", "b"});
  }

  TEST_CASE("an entry repeated at a page boundary is given once; same-time distinct entries are kept") {
    log_cursor cur(std::nullopt, std::nullopt);
    std::vector<api::log_out> out;
    cur.feed(page({entry("2026-01-01T00:00:01Z", "a"), entry("2026-01-01T00:00:02Z", "b"),
                   entry("2026-01-01T00:00:02Z", "c")}, "x1"), out);
    // A server whose offset is inclusive repeats the last entries.
    const bool caught_up = cur.feed(page({entry("2026-01-01T00:00:02Z", "c"), entry("2026-01-01T00:00:02Z", "d"),
                                          entry("2026-01-01T00:00:03Z", "e")}, "x2"), out);
    CHECK_FALSE(caught_up);
    CHECK(msgs(out) == std::vector<std::string>{"a", "b", "c", "d", "e"});
    // Only repeats, and a moved offset: still caught up (nothing new).
    CHECK(cur.feed(page({entry("2026-01-01T00:00:03Z", "e")}, "x3"), out));
    CHECK(out.size() == 5);
  }

  TEST_CASE("from and to bound the entries; an entry past `to` ends the walk") {
    auto t = [](int s) { return *parse_log_time("2026-01-01T00:00:0" + std::to_string(s) + "Z"); };
    log_cursor cur(t(2), t(4));
    std::vector<api::log_out> out;
    CHECK_FALSE(cur.feed(page({entry("2026-01-01T00:00:01Z", "1"), entry("2026-01-01T00:00:02Z", "2"),
                               entry("2026-01-01T00:00:03Z", "3")}, "3"), out));
    CHECK_FALSE(cur.past_end());
    cur.feed(page({entry("2026-01-01T00:00:04Z", "4"), entry("2026-01-01T00:00:05Z", "5"),
                   entry("2026-01-01T00:00:06Z", "6")}, "6"), out);
    CHECK(cur.past_end());
    CHECK(msgs(out) == std::vector<std::string>{"2", "3", "4"});
  }
}
