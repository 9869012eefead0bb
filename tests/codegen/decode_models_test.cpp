// The decoding rules on generated models, with bodies shaped like the API's documentation
// samples: fields the document does not list are kept in unknown_fields_, and integers and
// booleans the API sends as strings decode. Each body also goes through the tree reference
// (fuzz/decode_differential.hpp), which must agree.
#define AIVEN_CODEC_TREE_REFERENCE 1
#include "api/secrets.cpp"
#include "api/service_kafka.cpp"
#include "api/users.cpp"

#include "decode_differential.hpp"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <string_view>

namespace {

template <class T>
T decode_ok(std::string_view body, std::string_view unwrap) {
  T out{};
  aiven::diagnostics d;
  CHECK_FALSE(aiven::codec::sax::decode_body(body, out, unwrap, &d));
  CHECK(d.client_message == "");
  CHECK(aiven::differential::compare<T>(body, unwrap, "model") == "");
  return out;
}

}  // namespace

TEST_SUITE("codec.models") {
  TEST_CASE("a key-management key's provider and status, not in its schema, are kept") {
    const auto cmk = decode_ok<aiven::api::cmk_access_check_trigger_out>(
        R"({"cmk":{"created_at":"2026-03-01T10:00:00Z","default_cmk":true,"id":"7e6d5c4b",)"
        R"("provider":"aws","resource":"arn:aws:kms:eu-west-1:123456789012:key/1a2b","status":"current",)"
        R"("updated_at":"2026-03-01T10:00:00Z"}})",
        "cmk");
    CHECK(cmk.id == "7e6d5c4b");
    CHECK(cmk.default_cmk);
    CHECK(cmk.resource == "arn:aws:kms:eu-west-1:123456789012:key/1a2b");
    CHECK(cmk.unknown_fields_.size() == 2);
    CHECK(cmk.unknown_fields_.at("provider") == "aws");
    CHECK(cmk.unknown_fields_.at("status") == "current");
  }

  TEST_CASE("a topic's diskless_enable, not in its schema, is kept") {
    const auto topic = decode_ok<aiven::api::service_kafka_topic_get_out>(
        R"({"topic":{"topic_name":"events","partitions":[],"replication":3,"state":"ACTIVE",)"
        R"("diskless_enable":false,"tags":[{"key":"team","value":"data"}]},"message":"ok"})",
        "topic");
    CHECK(topic.topic_name == "events");
    CHECK(topic.replication == 3);
    REQUIRE(topic.tags.size() == 1);
    CHECK(topic.tags[0].key == "team");
    CHECK(topic.unknown_fields_.size() == 1);
    CHECK(topic.unknown_fields_.at("diskless_enable") == false);
  }

  TEST_CASE("a user's intercom, not in its schema, is kept with its members") {
    const auto user = decode_ok<aiven::api::user_user_info_out>(
        R"({"user":{"user":"jane@example.com","real_name":"Jane","state":"active","auth":["password"],)"
        R"("intercom":{"app_id":"abc123","hmac":"0f1e2d"},"projects":["demo"],"user_id":"u1"}})",
        "user");
    CHECK(user.user == "jane@example.com");
    CHECK(user.projects == std::vector<std::string>{"demo"});
    CHECK(user.unknown_fields_.size() == 1);
    CHECK(boost::json::serialize(user.unknown_fields_.at("intercom")) == R"({"app_id":"abc123","hmac":"0f1e2d"})");
  }

  TEST_CASE("a connector plugin's preview sent as \"false\" is a boolean") {
    const auto list = decode_ok<aiven::api::service_kafka_connect_list_out>(
        R"({"connectors":[{"name":"sink","config":{"topics":"a"},"plugin":{"author":"Aiven","class":"io.aiven.Sink",)"
        R"("docURL":"https://example.com","preview":"false","title":"Sink","type":"sink","version":"1.0"}}]})",
        {});
    REQUIRE(list.connectors.size() == 1);
    REQUIRE(list.connectors[0].plugin.preview.has_value());
    CHECK_FALSE(*list.connectors[0].plugin.preview);
    CHECK(list.connectors[0].plugin.class_value == "io.aiven.Sink");
    CHECK(list.connectors[0].plugin.unknown_fields_.empty());
  }
}
