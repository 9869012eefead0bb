// The simulator's fixed list of clouds (GET /v1/clouds).
#pragma once

#include <string>
#include <string_view>

namespace aiven::sim::detail {

/// The body of GET /v1/clouds: {"clouds":[...]} with about a hundred clouds of
/// five providers. Built once; the same string for the life of the process.
const std::string& clouds_body();

/// "Europe, Ireland - Amazon Web Services: Ireland" for "aws-eu-west-1";
/// empty for a cloud that is not in the list.
std::string_view cloud_description(std::string_view cloud_name);

}  // namespace aiven::sim::detail
