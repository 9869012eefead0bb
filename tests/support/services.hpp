// Test helper: a PostgreSQL service created in the simulator's "demo" project.
#pragma once

#include <aiven/api/service.hpp>
#include <aiven/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

namespace aiven::test {

inline boost::asio::awaitable<void> create_pg(const client& c, const std::string& name) {
  auto create = api::service_create_request{.project = "demo"};
  create.body.service_name = name;
  create.body.service_type = "pg";
  create.body.plan = "hobbyist";
  co_await api::async_service_create(c, std::move(create));
}

}  // namespace aiven::test
