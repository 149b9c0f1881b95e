// UiHandler over a fake file set, and the real embedded set as the build produced it.
#include "ui/ui_handler.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::ui {
namespace {

HttpRequest get(std::string path, std::string if_none_match = "") {
  HttpRequest request;
  request.method = "GET";
  request.target = path;
  request.path = std::move(path);
  if (!if_none_match.empty()) request.headers["if-none-match"] = std::move(if_none_match);
  return request;
}

const std::vector<EmbeddedFile>& fake_files() {
  static const std::vector<EmbeddedFile> files = {
      {"/index.html", "text/html; charset=utf-8", "\"aaa\"", "<!doctype html>"},
      {"/js/main.js", "text/javascript; charset=utf-8", "\"bbb\"", "export {};"},
  };
  return files;
}

TEST(UiHandler, RootIsIndexHtml) {
  UiHandler handler(fake_files());
  HttpResponse response = handler.handle(get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(response.body, "<!doctype html>");
  EXPECT_EQ(response.header("etag"), "\"aaa\"");
  EXPECT_EQ(response.header("cache-control"), "no-cache");
}

TEST(UiHandler, FilesUnderThePrefixWithTheirType) {
  UiHandler handler(fake_files());
  HttpResponse response = handler.handle(get("/ui/js/main.js"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(response.body, "export {};");
  EXPECT_EQ(handler.handle(get("/ui/index.html")).status, 200);
}

TEST(UiHandler, UnknownPathsAre404) {
  UiHandler handler(fake_files());
  for (const char* path : {"/ui/", "/ui/nope.js", "/ui/js/../index.html", "/ui//js/main.js",
                           "/ui/js/main.js/", "/index.html", "/js/main.js"}) {
    HttpResponse response = handler.handle(get(path));
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.content_type, "application/json") << path;
  }
}

TEST(UiHandler, MatchingIfNoneMatchIs304WithoutABody) {
  UiHandler handler(fake_files());
  for (const char* tag : {"\"bbb\"", "W/\"bbb\"", "\"x\", \"bbb\"", "*"}) {
    HttpResponse response = handler.handle(get("/ui/js/main.js", tag));
    EXPECT_EQ(response.status, 304) << tag;
    EXPECT_TRUE(response.body.empty()) << tag;
    EXPECT_EQ(response.header("etag"), "\"bbb\"") << tag;
  }
  EXPECT_EQ(handler.handle(get("/ui/js/main.js", "\"aaa\"")).status, 200);
}

TEST(EmbeddedFiles, TheBuildEmbedsTheUi) {
  UiHandler handler;
  HttpResponse index = handler.handle(get("/"));
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("/ui/js/main.js"), std::string::npos);
  HttpResponse main = handler.handle(get("/ui/js/main.js"));
  ASSERT_EQ(main.status, 200);
  EXPECT_EQ(main.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(handler.handle(get("/ui/style.css")).content_type, "text/css; charset=utf-8");
  for (const EmbeddedFile& file : embedded_files()) {
    EXPECT_FALSE(file.data.empty()) << file.path;
    EXPECT_EQ(file.etag.size(), 22u) << file.path;  // 20 hex digits, quoted
  }
}

}  // namespace
}  // namespace berth::ui
