// The web UI's routes: embedded files with their types and ETags.
#include "ui/ui_handler.h"

#include <algorithm>
#include <string>

namespace berth::ui {
namespace {

HttpResponse not_found() {
  return HttpResponse{404, "application/json", R"({"message":"URI not found"})", {}};
}

// True if an If-None-Match header value names `etag` (a list, possibly weak, or "*").
bool matches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header == "*") return true;
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = header.substr(start, end - start);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

UiHandler::UiHandler(const std::vector<EmbeddedFile>& files) : files_(files) {}

const EmbeddedFile* UiHandler::find(std::string_view path) const {
  auto it = std::find_if(files_.begin(), files_.end(),
                         [path](const EmbeddedFile& file) { return file.path == path; });
  return it == files_.end() ? nullptr : &*it;
}

HttpResponse UiHandler::handle(const HttpRequest& request) const {
  std::string_view path = request.path;
  const EmbeddedFile* file = nullptr;
  if (path == "/") {
    file = find("/index.html");
  } else if (path.substr(0, kPrefix.size()) == kPrefix) {
    // "/ui/js/main.js" -> "/js/main.js". Paths are compared whole, so "..", "//" and the like
    // simply match nothing.
    file = find(path.substr(kPrefix.size() - 1));
  }
  if (file == nullptr) return not_found();

  HttpResponse response;
  response.headers = {{"ETag", std::string(file->etag)},
                      {"Cache-Control", "no-cache"},
                      {"X-Content-Type-Options", "nosniff"}};
  if (matches(request.header("if-none-match"), file->etag)) {
    response.status = 304;
    response.content_type = std::string(file->content_type);
    return response;
  }
  response.status = 200;
  response.content_type = std::string(file->content_type);
  response.body = std::string(file->data);
  return response;
}

}  // namespace berth::ui
