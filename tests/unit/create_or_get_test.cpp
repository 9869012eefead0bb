// Which 409 a create-or-get reads through.
#include <aiven/create_or_get.hpp>

#include <doctest/doctest.h>

using namespace aiven;

TEST_SUITE("unit.create_or_get") {
  TEST_CASE("is_existing_resource_conflict: a 409 *_already_exists, or a codeless 409 that says so") {
    diagnostics d;
    d.http_status = 409;
    d.message = "Topic 'orders' already exists";
    d.errors = {{d.message, 409, "kafka_topic_already_exists", ""}};
    CHECK(is_existing_resource_conflict(d));
    d.errors = {{"Topic 'orders' is queued for deletion", 409, "kafka_topic_queued_for_deletion", ""}};
    CHECK_FALSE(is_existing_resource_conflict(d));  // a coded 409 of another kind, whatever the message
    d.errors = {{"", 409, "", ""}};
    d.message = "Service name is already in use in this project";
    CHECK(is_existing_resource_conflict(d));
    d.message = "Service user 'avnadmin' already exists";
    CHECK(is_existing_resource_conflict(d));
    d.message = "Project has too many services";
    CHECK_FALSE(is_existing_resource_conflict(d));
    d.message = "Service name is already in use in this project";
    d.http_status = 400;
    CHECK_FALSE(is_existing_resource_conflict(d));
  }
}
