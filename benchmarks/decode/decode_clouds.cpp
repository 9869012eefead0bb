// See decode_service.cpp.
#include "api/cloud_platforms.cpp"

bool bench_decode_clouds(const boost::json::value& v) {
  std::vector<aiven::api::cloud_out> out;
  return !aiven::codec::member_decoder{"clouds"}(v, out, nullptr) && !out.empty();
}
