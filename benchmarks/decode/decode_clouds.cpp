// See decode_service.cpp.
#define AIVEN_CODEC_TREE_REFERENCE 1
#include "api/cloud_platforms.cpp"

bool bench_sax_clouds(std::string_view body) {
  std::vector<aiven::api::cloud_out> out;
  return !aiven::codec::sax::decode_body(body, out, "clouds", nullptr) && !out.empty();
}

bool bench_tree_clouds(const boost::json::value& v) {
  std::vector<aiven::api::cloud_out> out;
  return !aiven::codec::member_decoder{"clouds"}(v, out, nullptr) && !out.empty();
}
