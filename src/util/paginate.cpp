// The memory of a paged walk: every cursor handed out, so a server that loops
// (A, B, A, ...) ends the walk with an error instead of running forever.
#include <aiven/paginate.hpp>

#include <unordered_set>

namespace aiven::detail::paging {

struct cursor_memory::impl {
  std::unordered_set<std::string> seen;
};

cursor_memory::cursor_memory() : impl_(std::make_unique<impl>()) {}
cursor_memory::~cursor_memory() = default;
cursor_memory::cursor_memory(cursor_memory&&) noexcept = default;
cursor_memory& cursor_memory::operator=(cursor_memory&&) noexcept = default;
cursor_memory::cursor_memory(const cursor_memory& o) : impl_(std::make_unique<impl>(*o.impl_)) {}

void cursor_memory::remember(const std::string& cursor, const char* what, std::size_t pages) {
  if (impl_->seen.insert(cursor).second) return;
  throw api_error(errc::bad_response,
                  diagnostics{.client_message = std::string("paging: the server handed back the ") + what + " \"" +
                                                cursor.substr(0, 80) + "\" after page " + std::to_string(pages) +
                                                ", one this walk was at before: it would never end"});
}

}  // namespace aiven::detail::paging
