// The generated decoders have internal linkage; this TU compiles the service area's TU into the
// benchmark to reach them, exactly as the client runs them (and its tree decoders, for the
// comparison with the old path: parse into a json::value, then map).
#define AIVEN_CODEC_TREE_REFERENCE 1
#include "api/service.cpp"

bool bench_sax_service(std::string_view body) {
  aiven::api::service_get_out out;
  return !aiven::codec::sax::decode_body(body, out, "service", nullptr) && !out.service_name.empty();
}

bool bench_tree_service(const boost::json::value& v) {
  aiven::api::service_get_out out;
  return !aiven::codec::member_decoder{"service"}(v, out, nullptr) && !out.service_name.empty();
}
