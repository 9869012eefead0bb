// The generated decoders have internal linkage; this TU compiles the service
// area's TU into the benchmark to reach them, exactly as the client runs them.
#include "api/service.cpp"

bool bench_decode_service(const boost::json::value& v) {
  aiven::api::service_get_out out;
  return !aiven::codec::member_decoder{"service"}(v, out, nullptr) && !out.service_name.empty();
}
