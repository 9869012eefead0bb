// The simulator's routing: the generated table of every operation of the document
// (generated/routes.cpp), a matcher of method + path against its templates, and a
// validator of request bodies against the document's schemas.
#pragma once

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiven::sim::detail {

/// One operation of the document (a row of the generated table).
struct route_info {
  std::string_view op_id;
  std::string_view method;
  std::string_view path;  ///< template, e.g. /v1/project/{project}/service/{service_name}
  bool auth_optional;
  int body_schema;      ///< index for generated_body_schema(), -1 without a JSON body
  unsigned status;      ///< the first 2xx status of the document
  std::string_view media;  ///< its media type; empty without a body
  int sample;           ///< index for generated_sample()
};

std::span<const route_info> generated_routes();
std::string_view generated_body_schema(int i);
std::string_view generated_sample(int i);

/// Path parameters of a matched route, in template order, decoded.
struct path_params {
  std::vector<std::pair<std::string_view, std::string>> items;
  /// The value of `{name}`; empty if the template has none.
  const std::string& operator[](std::string_view name) const;
};

class router {
 public:
  router();
  ~router();
  router(const router&) = delete;
  router& operator=(const router&) = delete;

  enum class outcome { found, method_not_allowed, not_found };
  /// Matches decoded path segments (without the leading empty one). Literal segments win
  /// over parameters (`/service/{service_name}/kafka/acl` before `{...}`).
  outcome find(std::string_view method, const std::vector<std::string>& segments, const route_info*& route,
               path_params& params) const;

  /// The route of an operationId (nullptr if the document has none).
  const route_info* by_op_id(std::string_view op_id) const;

  /// The parsed body schema of a route (null value without one).
  const boost::json::value& body_schema(const route_info& r) const;

 private:
  struct node;
  std::unique_ptr<node> root_;
  std::vector<boost::json::value> schemas_;
};

/// Checks `v` against a validation schema of the generated table. nullopt when valid, else
/// Aiven's kind of message ("Invalid input for plan: expected string"). A null given for
/// a member that is not required counts as absent, as the API treats it.
std::optional<std::string> validate_body(const boost::json::value& schema, const boost::json::value& v);

}  // namespace aiven::sim::detail
