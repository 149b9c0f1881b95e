// UiHandler answers the web UI's requests from the files embedded in the binary: `/` is
// index.html, `/ui/<path>` is any other file; an unknown path below `/ui/` is 404. The master
// puts these routes after its API routes, so /v2/..., /master/..., /metrics and /health are never
// shadowed. Stateless and cheap: call it on the loop.
#pragma once

#include <string_view>
#include <vector>

#include "http/http_types.h"
#include "ui/ui_assets.h"

namespace berth::ui {

// URL prefix of every UI file but index.html.
inline constexpr std::string_view kPrefix = "/ui/";

class UiHandler {
 public:
  // Serves `files`; the default is the files embedded at build time.
  explicit UiHandler(const std::vector<EmbeddedFile>& files = embedded_files());

  // GET / or /ui/...: 200 with the file, its Content-Type and ETag; 304 when If-None-Match
  // names the current ETag; 404 for a path no file has. Files are revalidated on every use
  // (Cache-Control: no-cache), so a new master binary is picked up at once and an unchanged one
  // costs a 304.
  HttpResponse handle(const HttpRequest& request) const;

 private:
  const EmbeddedFile* find(std::string_view path) const;

  const std::vector<EmbeddedFile>& files_;
};

}  // namespace berth::ui
