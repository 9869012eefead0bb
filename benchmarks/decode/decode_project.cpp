// See decode_service.cpp.
#include "api/project.cpp"

bool bench_decode_project(const boost::json::value& v) {
  aiven::api::project_list_out out;
  return !aiven::codec::body_decoder{}(v, out, nullptr) && !out.projects.empty();
}
