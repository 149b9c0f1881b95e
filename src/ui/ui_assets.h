// The web UI's files (ui/static), embedded into the binary at build time by
// cmake/EmbedFiles.cmake, so that `berth master` serves them with no files on disk.
#pragma once

#include <string_view>
#include <vector>

namespace berth::ui {

// One embedded file. Every view points into static storage and lives as long as the program.
struct EmbeddedFile {
  std::string_view path;          // URL path below the UI's root: "/index.html", "/js/main.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // a strong ETag, quoted: "\"3f2a...\"" (hash of the content)
  std::string_view data;
};

// Every embedded file, in path order. Defined in the generated ui_assets.cc.
const std::vector<EmbeddedFile>& embedded_files();

}  // namespace berth::ui
