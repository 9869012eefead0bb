// Paging: every page once, in order, never a page size above 250.
#include "support/run.hpp"
#include "support/services.hpp"

#include <aiven/api/organizations.hpp>
#include <aiven/api/service.hpp>
#include <aiven/api/service_clickhouse.hpp>
#include <aiven/paginate.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <map>
#include <tuple>
#include <set>
#include <string>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

using test::create_pg;

// The page size a recorded request asked for (-1 if none).
long long page_param(const std::string& target, const std::string& name) {
  auto p = target.find(name + "=");
  return p == std::string::npos ? -1 : std::stoll(target.substr(p + name.size() + 1));
}

}  // namespace

TEST_SUITE("integration.paginate") {
  TEST_CASE("ServiceDatabaseList: after/next cursor, every page once") {
    sim::simulator sim;
    sim.set_paged_items(613);
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    std::vector<std::string> names;
    std::size_t pages = 0, calls = 0;
    for (std::optional<std::int64_t> asked : {std::optional<std::int64_t>{}, std::optional<std::int64_t>{1000}}) {
      names.clear();
      sim.clear_requests();
      pages = test::run(io, [&]() -> asio::awaitable<std::size_t> {
        co_await create_pg(c, "pg" + std::to_string(calls++));
        sim.clear_requests();
        auto req = api::service_database_list_request{.project = "demo", .service_name = "pg" + std::to_string(calls - 1),
                                                      .max_items = asked};
        auto fetch = [&](auto r, auto token) { return api::async_service_database_list(c, std::move(r), token); };
        co_return co_await for_each_page(req, fetch, [&](const api::service_database_list_out& page) {
          for (auto& d : page.databases) names.push_back(d.database_name);
        });
      });
      CHECK(pages == 3);
      REQUIRE(names.size() == 613);
      CHECK(std::set<std::string>(names.begin(), names.end()).size() == 613);
      CHECK(std::is_sorted(names.begin(), names.end()));
      auto reqs = sim.requests();
      REQUIRE(reqs.size() == 3);
      std::set<std::string> targets;
      for (auto& r : reqs) {
        CHECK(r.status == 200);
        CHECK(page_param(r.target, "maxItems") == 250);
        targets.insert(r.target);
      }
      CHECK(targets.size() == 3);  // no page asked for twice
    }
  }

  TEST_CASE("the simulator refuses a page above 250, as the API does") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    auto [ec, status] = test::run(io, [&]() -> asio::awaitable<std::pair<error_code, unsigned>> {
      co_await create_pg(c, "pg");
      auto req = api::service_database_list_request{.project = "demo", .service_name = "pg", .max_items = 251};
      diagnostics d;
      auto [e, out] = co_await api::async_service_database_list(c, req, d, asio::as_tuple(asio::use_awaitable));
      co_return std::pair{e, d.http_status};
    });
    CHECK(ec == errc::bad_request);
    CHECK(status == 400);
  }

  TEST_CASE("ServiceClickHouseQueryStats: limit/offset, a short page ends it") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    for (std::size_t total : {0u, 249u, 500u, 613u}) {
      sim.set_paged_items(total);
      std::vector<std::string> queries;
      std::size_t pages = test::run(io, [&]() -> asio::awaitable<std::size_t> {
        static int n = 0;
        std::string svc = "ch" + std::to_string(n++);
        co_await create_pg(c, svc);
        sim.clear_requests();
        auto req = api::service_click_house_query_stats_request{.project = "demo", .service_name = svc, .limit = 5000};
        auto fetch = [&](auto r, auto token) { return api::async_service_click_house_query_stats(c, std::move(r), token); };
        co_return co_await for_each_page(req, fetch, [&](const auto& page) {
          for (auto& q : page) queries.push_back(q.query.value_or(""));
        });
      });
      CHECK(pages == total / 250 + 1);
      REQUIRE(queries.size() == total);
      for (std::size_t i = 0; i < total; ++i) CHECK(queries[i] == "SELECT " + std::to_string(i));
      auto reqs = sim.requests();
      REQUIRE(reqs.size() == pages);
      for (std::size_t i = 0; i < reqs.size(); ++i) {
        CHECK(page_param(reqs[i].target, "limit") == 250);
        CHECK(std::max(page_param(reqs[i].target, "offset"), 0LL) == static_cast<long long>(i * 250));
      }
    }
  }

  TEST_CASE("cursor lists: next as a cursor or as a URL; early stop; a stuck cursor is an error") {
    asio::io_context io;
    // A fake OrganizationGovernanceAccessList over 7 items in pages of `limit`.
    std::vector<api::organization_governance_access_list_request> seen;
    auto fetch = [&](api::organization_governance_access_list_request r, auto) -> asio::awaitable<api::organization_governance_access_list_out> {
      seen.push_back(r);
      int start = r.cursor ? std::stoi(*r.cursor) : 0;
      api::organization_governance_access_list_out out;
      for (int i = start; i < std::min<int>(7, start + static_cast<int>(*r.limit)); ++i) {
        out.access.emplace_back();
        out.access.back().access_id = std::to_string(i);
      }
      int next = start + static_cast<int>(*r.limit);
      if (next < 7) {
        // Alternate the two forms the API document allows for `next`.
        out.next = next % 2 ? std::to_string(next)
                            : "https://api.aiven.io/v1/organization/o/governance/access?limit=2&cursor=" + std::to_string(next);
      }
      co_return out;
    };
    std::vector<std::string> ids;
    auto req = api::organization_governance_access_list_request{.organization_id = "o", .limit = 3};
    auto pages = test::run(io, [&]() -> asio::awaitable<std::size_t> {
      co_return co_await for_each_page(req, fetch, [&](const auto& page) {
        for (auto& a : page.access) ids.push_back(a.access_id);
      });
    });
    CHECK(pages == 3);
    CHECK(ids == std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"});
    REQUIRE(seen.size() == 3);
    CHECK(!seen[0].cursor);
    CHECK(*seen[1].cursor == "3");
    CHECK(*seen[2].cursor == "6");

    // Early stop: the callback returns false after the first page.
    seen.clear();
    req.limit = 999;  // capped to 250
    pages = test::run(io, [&]() -> asio::awaitable<std::size_t> {
      co_return co_await for_each_page(req, fetch, [&](const auto&) { return false; });
    });
    CHECK(pages == 1);
    REQUIRE(seen.size() == 1);
    CHECK(*seen[0].limit == 250);

    // A server that hands back the same cursor forever.
    auto stuck = [&](api::organization_governance_access_list_request, auto) -> asio::awaitable<api::organization_governance_access_list_out> {
      api::organization_governance_access_list_out out;
      out.next = "same";
      co_return out;
    };
    try {
      test::run(io, [&]() -> asio::awaitable<void> {
        pager p(req, stuck);
        while (co_await p.next()) {
        }
      });
      FAIL("no error");
    } catch (const api_error& e) {
      CHECK(e.code() == errc::bad_response);
    }
  }

  TEST_CASE("ProjectGetServiceLogs: body offset") {
    asio::io_context io;
    int calls = 0;
    auto fetch = [&](api::project_get_service_logs_request r, auto) -> asio::awaitable<api::project_get_service_logs_out> {
      ++calls;
      CHECK(*r.body.limit == 250);
      int start = r.body.offset ? std::stoi(*r.body.offset) : 0;
      api::project_get_service_logs_out out;
      for (int i = start; i < std::min(600, start + 250); ++i) out.logs.emplace_back();
      out.offset = std::to_string(start + static_cast<int>(out.logs.size()));
      co_return out;
    };
    std::size_t lines = 0;
    auto req = api::project_get_service_logs_request{.project = "p", .service_name = "s"};
    auto pages = test::run(io, [&]() -> asio::awaitable<std::size_t> {
      co_return co_await for_each_page(req, fetch, [&](const auto& page) { lines += page.logs.size(); });
    });
    CHECK(lines == 600);
    CHECK(pages == 3);
    CHECK(calls == 3);
  }

  TEST_CASE("a cursor cycle A, B, A ends with bad_response, not an endless walk (both token styles)") {
    asio::io_context io;
    int calls = 0;
    auto cycle = [&](api::organization_governance_access_list_request r, auto) -> asio::awaitable<api::organization_governance_access_list_out> {
      ++calls;
      api::organization_governance_access_list_out out;
      out.access.emplace_back();
      // first -> A -> B -> A -> ...
      out.next = !r.cursor ? "A" : *r.cursor == "A" ? "B" : "A";
      co_return out;
    };
    auto req = api::organization_governance_access_list_request{.organization_id = "o"};
    // Default token: api_error.
    std::size_t pages_seen = 0;
    try {
      test::run(io, [&]() -> asio::awaitable<void> {
        co_await for_each_page(req, cycle, [&](const auto&) { ++pages_seen; });
      });
      FAIL("no error");
    } catch (const api_error& e) {
      CHECK(e.code() == errc::bad_response);
      INFO(e.get_diagnostics().client_message);
      CHECK(e.get_diagnostics().client_message.find("\"A\" after page 3") != std::string::npos);
    }
    CHECK(calls == 3);
    CHECK(pages_seen == 2);  // the third page is the one that loops: not handed out
    // as_tuple with diagnostics, one page at a time.
    calls = 0;
    diagnostics diag;
    auto [ec, pages] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, std::size_t>> {
      pager p(req, cycle);
      std::size_t n = 0;
      for (;;) {
        auto [e, page] = co_await p.next(diag, asio::as_tuple(asio::use_awaitable));
        if (e) co_return std::tuple{e, n};
        if (!page) break;
        ++n;
      }
      co_return std::tuple{error_code{}, n};
    });
    CHECK(ec == errc::bad_response);
    CHECK(pages == 2);
    CHECK(diag.client_message.find("would never end") != std::string::npos);
  }

  TEST_CASE("logs: a server that ignores the offset ends with bad_response") {
    asio::io_context io;
    int calls = 0;
    auto ignores = [&](api::project_get_service_logs_request, auto) -> asio::awaitable<api::project_get_service_logs_out> {
      ++calls;
      api::project_get_service_logs_out out;
      out.logs.resize(250);
      out.offset = "250";  // always the first page's answer
      co_return out;
    };
    auto req = api::project_get_service_logs_request{.project = "p", .service_name = "s"};
    diagnostics diag;
    auto [ec, pages] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, std::size_t>> {
      co_return co_await for_each_page(req, ignores, [](const auto&) {}, diag, asio::as_tuple(asio::use_awaitable));
    });
    CHECK(ec == errc::bad_response);
    CHECK(calls == 2);
    CHECK(diag.client_message.find("offset") != std::string::npos);
  }
}
