// fetch_uris on real files in a temporary directory: copies, destPath, chmod +x, tar and zip
// archives, and the errors (other schemes, missing files, paths that leave the sandbox).
#include "agent/local_fetcher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace berth {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class LocalFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/berth-fetch-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    source_ = root_ / "source";
    sandbox_ = root_ / "sandbox";
    fs::create_directories(sandbox_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Runs `command` in the source directory.
  void shell(const std::string& command) {
    const std::string line = "cd '" + source_.string() + "' && " + command;
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
  }

  fs::path root_;
  fs::path source_;
  fs::path sandbox_;
};

TEST_F(LocalFetcherTest, CopiesFileUrisAndPathsToTheirBasenameOrDestPath) {
  write(source_ / "config.yml", "a: 1\n");
  write(source_ / "run.sh", "#!/bin/sh\necho hi\n");
  auto fetched = fetch_uris({{"file://" + (source_ / "config.yml").string(), true, false, ""},
                             {(source_ / "run.sh").string(), true, true, "bin/start"}},
                            sandbox_.string());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(read(sandbox_ / "config.yml"), "a: 1\n");
  EXPECT_EQ(read(sandbox_ / "bin/start"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(::access((sandbox_ / "bin/start").c_str(), X_OK), 0) << "executable";
  EXPECT_NE(::access((sandbox_ / "config.yml").c_str(), X_OK), 0);
}

TEST_F(LocalFetcherTest, TarArchivesAreExtractedNextToTheKeptCopy) {
  write(source_ / "app/bin/server", "binary");
  write(source_ / "app/conf/app.conf", "port=1");
  shell("tar -czf app.tar.gz app && tar -cJf app.txz app && tar -cf app.tar app");
  fs::remove_all(source_ / "app");
  auto fetched = fetch_uris({{"file://" + (source_ / "app.tar.gz").string(), true, false, ""},
                             {(source_ / "app.txz").string(), true, false, "xz/app.txz"}},
                            sandbox_.string());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(read(sandbox_ / "app/bin/server"), "binary");
  EXPECT_EQ(read(sandbox_ / "app/conf/app.conf"), "port=1");
  EXPECT_TRUE(fs::exists(sandbox_ / "app.tar.gz"));
  EXPECT_EQ(read(sandbox_ / "xz/app/conf/app.conf"), "port=1") << "extracted beside its copy";

  auto kept = fetch_uris({{(source_ / "app.tar").string(), false, false, "raw/app.tar"}},
                         sandbox_.string());
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_TRUE(fs::exists(sandbox_ / "raw/app.tar"));
  EXPECT_FALSE(fs::exists(sandbox_ / "raw/app")) << "extract=false leaves the archive alone";
}

TEST_F(LocalFetcherTest, ZipArchivesAreExtractedWithUnzip) {
  if (std::system("command -v unzip >/dev/null") != 0) GTEST_SKIP() << "unzip not installed";
  write(source_ / "site/index.html", "<p>hi</p>");
  shell(
      "python3 -c \"import zipfile; z = zipfile.ZipFile('site.zip', 'w'); "
      "z.write('site/index.html'); z.close()\"");
  auto fetched =
      fetch_uris({{(source_ / "site.zip").string(), true, false, ""}}, sandbox_.string());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(read(sandbox_ / "site/index.html"), "<p>hi</p>");
}

TEST_F(LocalFetcherTest, FailuresNameTheUri) {
  auto http = fetch_uris({{"http://example.com/app.tgz", true, false, ""}}, sandbox_.string());
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.error().message,
            "Failed to fetch 'http://example.com/app.tgz': scheme 'http' is not supported: this "
            "agent fetches only file:// URIs and absolute local paths (it downloads nothing)");

  const std::string missing = (source_ / "missing.tgz").string();
  auto absent = fetch_uris({{missing, true, false, ""}}, sandbox_.string());
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().message,
            "Failed to fetch '" + missing + "': " + missing + ": No such file or directory");

  write(source_ / "f", "x");
  auto escape =
      fetch_uris({{(source_ / "f").string(), true, false, "../../etc/f"}}, sandbox_.string());
  ASSERT_FALSE(escape.ok());
  EXPECT_NE(escape.error().message.find("leaves the sandbox"), std::string::npos);

  write(source_ / "broken.tar.gz", "not an archive");
  auto broken =
      fetch_uris({{(source_ / "broken.tar.gz").string(), true, false, ""}}, sandbox_.string());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("tar exited with status"), std::string::npos)
      << broken.error().message;

  auto relative = fetch_uris({{"app.tgz", true, false, ""}}, sandbox_.string());
  EXPECT_FALSE(relative.ok());
}

TEST_F(LocalFetcherTest, LocalFetcherRunsTheWorkThroughItsHook) {
  write(source_ / "a.txt", "a");
  int hooked = 0;
  LocalFetcher fetcher([&](std::function<void()> work, std::function<void()> done) {
    ++hooked;
    work();
    done();
  });
  std::optional<Status> result;
  fetcher.fetch({{(source_ / "a.txt").string(), true, false, ""}}, sandbox_.string(),
                [&](Status status) { result = status; });
  EXPECT_EQ(hooked, 1);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(read(sandbox_ / "a.txt"), "a");
}

}  // namespace
}  // namespace berth
