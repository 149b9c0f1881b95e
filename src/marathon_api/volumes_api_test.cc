// Contract tests of /v2/volumes: list, show, create (with Marathon-style validation errors),
// delete (refused while attached or claimed), and 503 on a master without volumes. Driven
// through V2Api with a VolumeController on the simulated cluster's clock and store.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "marathon_api/v2_api.h"
#include "scheduler/simulated_cluster.h"
#include "storage/volume_controller.h"

namespace berth::marathon_api {
namespace {

using nlohmann::json;

class VolumesApiTest : public ::testing::Test, public scheduler::SimulatedCluster {
 protected:
  VolumesApiTest() {
    volumes_ = std::make_unique<VolumeController>(clock_, store_);
    EXPECT_TRUE(volumes_->recover().ok());
    api_ = make_api(volumes_.get());
  }

  std::unique_ptr<V2Api> make_api(VolumeController* volumes) {
    ApiContext context{*scheduler_,
                       *core_,
                       clock_,
                       ServerIdentity{"master.test", 8080, "fw-1", "master.test:5050"},
                       {}};
    context.volumes = volumes;
    return std::make_unique<V2Api>(std::move(context));
  }

  HttpResponse call(const std::string& method, const std::string& path,
                    const std::string& body = "", V2Api* api = nullptr) {
    HttpRequest request;
    request.method = method;
    request.target = path;
    request.path = path;
    request.body = body;
    request.remote = "127.0.0.1:40000";
    auto response = (api != nullptr ? api : api_.get())->handle(request);
    EXPECT_TRUE(response.has_value()) << path;
    return response.value_or(HttpResponse{});
  }

  static json body(const HttpResponse& response) { return json::parse(response.body); }

  // The first detail's path of a 422 answer.
  static std::string first_path(const HttpResponse& response) {
    json doc = body(response);
    if (!doc.contains("details") || doc["details"].empty()) return "";
    return doc["details"][0]["path"].get<std::string>();
  }

  // A task on the first agent holds `name` (the scheduler's claim before a launch).
  void claim(const std::string& name, const std::string& task_id = "db.1") {
    VolumeLaunchClaim request;
    request.task_id = task_id;
    request.agent_id = core_->agents().all().begin()->first;
    request.app_id = "/db";
    request.spec.name = name;
    auto spec = volumes_->claim_for_launch(request);
    ASSERT_TRUE(spec.ok()) << spec.error().message;
  }

  std::unique_ptr<VolumeController> volumes_;
  std::unique_ptr<V2Api> api_;
};

TEST_F(VolumesApiTest, CreateAnswers201WithLocationAndTheVolume) {
  HttpResponse created =
      call("POST", "/v2/volumes", R"({"name":"pgdata","size":1024,"options":{"tier":"fast"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.header("Location"), "http://master.test:8080/v2/volumes/pgdata");
  json volume = body(created);
  EXPECT_EQ(volume["name"], "pgdata");
  EXPECT_EQ(volume["driver"], "blockpool");
  EXPECT_EQ(volume["size"], 1024);
  EXPECT_EQ(volume["state"], "AVAILABLE");
  EXPECT_EQ(volume["options"]["tier"], "fast");
  EXPECT_FALSE(volume.contains("attachment"));
}

TEST_F(VolumesApiTest, CreateUsesDefaultsAndResolvesTheRexrayAlias) {
  HttpResponse created = call("POST", "/v2/volumes", R"({"name":"logs","driver":"rexray"})");
  ASSERT_EQ(created.status, 201) << created.body;
  json volume = body(created);
  EXPECT_EQ(volume["driver"], "blockpool");
  EXPECT_EQ(volume["size"], 16 * 1024);
  EXPECT_EQ(volume["fsType"], "ext4");
}

TEST_F(VolumesApiTest, ListIsInNameOrder) {
  ASSERT_EQ(call("POST", "/v2/volumes", R"({"name":"b-vol","size":64})").status, 201);
  ASSERT_EQ(call("POST", "/v2/volumes", R"({"name":"a-vol","size":64})").status, 201);
  HttpResponse listed = call("GET", "/v2/volumes");
  ASSERT_EQ(listed.status, 200);
  json volumes = body(listed)["volumes"];
  ASSERT_EQ(volumes.size(), 2u);
  EXPECT_EQ(volumes[0]["name"], "a-vol");
  EXPECT_EQ(volumes[1]["name"], "b-vol");
}

TEST_F(VolumesApiTest, EmptyListIsAnEmptyArray) {
  EXPECT_EQ(body(call("GET", "/v2/volumes")), json::parse(R"({"volumes":[]})"));
}

TEST_F(VolumesApiTest, BadNamesAre422WithTheNamePath) {
  for (const char* name : {"../etc", "a/b", "x;rm -rf", "..", "", "UPPER"}) {
    HttpResponse refused = call("POST", "/v2/volumes", json{{"name", name}, {"size", 64}}.dump());
    EXPECT_EQ(refused.status, 422) << name << ": " << refused.body;
    EXPECT_EQ(first_path(refused), "/name") << name;
  }
}

TEST_F(VolumesApiTest, AbsurdSizesAre422WithTheSizePath) {
  for (const char* size : {"-1", "1", "999999999999", "\"big\""}) {
    HttpResponse refused =
        call("POST", "/v2/volumes", std::string(R"({"name":"v","size":)") + size + "}");
    EXPECT_EQ(refused.status, 422) << size << ": " << refused.body;
    EXPECT_EQ(first_path(refused), "/size") << size;
  }
}

TEST_F(VolumesApiTest, UnknownDriversAre422WithTheDriverPath) {
  HttpResponse refused = call("POST", "/v2/volumes", R"({"name":"v","driver":"ebs"})");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(first_path(refused), "/driver");
}

TEST_F(VolumesApiTest, OptionsOfTheWrongTypeAre422WithTheirPath) {
  HttpResponse refused = call("POST", "/v2/volumes", R"({"name":"v","options":{"iops":100}})");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(first_path(refused).rfind("/options", 0), 0u) << refused.body;
}

TEST_F(VolumesApiTest, MalformedJsonIs400) {
  EXPECT_EQ(call("POST", "/v2/volumes", "{not json").status, 400);
}

TEST_F(VolumesApiTest, CreatingAnExistingNameIs409) {
  ASSERT_EQ(call("POST", "/v2/volumes", R"({"name":"pgdata","size":64})").status, 201);
  HttpResponse again = call("POST", "/v2/volumes", R"({"name":"pgdata","size":64})");
  EXPECT_EQ(again.status, 409) << again.body;
}

TEST_F(VolumesApiTest, ShowHasAttachmentEpochAndHistory) {
  ASSERT_EQ(call("POST", "/v2/volumes", R"({"name":"pgdata","size":64})").status, 201);
  claim("pgdata");
  HttpResponse shown = call("GET", "/v2/volumes/pgdata");
  ASSERT_EQ(shown.status, 200) << shown.body;
  json volume = body(shown);
  EXPECT_EQ(volume["state"], "ATTACHING");
  EXPECT_EQ(volume["attachment"]["agentId"], core_->agents().all().begin()->first);
  EXPECT_GE(volume["attachment"]["epoch"].get<std::uint64_t>(), 1u);
  EXPECT_TRUE(volume["attachmentHistory"].is_array());
  EXPECT_EQ(volume["claims"], json::array({"db.1"}));
}

TEST_F(VolumesApiTest, UnknownVolumeIs404) {
  EXPECT_EQ(call("GET", "/v2/volumes/nope").status, 404);
  EXPECT_EQ(call("DELETE", "/v2/volumes/nope").status, 404);
}

TEST_F(VolumesApiTest, DeleteRemovesAnAvailableVolume) {
  ASSERT_EQ(call("POST", "/v2/volumes", R"({"name":"scratch","size":64})").status, 201);
  HttpResponse deleted = call("DELETE", "/v2/volumes/scratch");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(call("GET", "/v2/volumes/scratch").status, 404);
}

TEST_F(VolumesApiTest, DeleteWhileAttachedOrClaimedIs409WithAClearMessage) {
  ASSERT_EQ(call("POST", "/v2/volumes", R"({"name":"pgdata","size":64})").status, 201);
  claim("pgdata");
  HttpResponse refused = call("DELETE", "/v2/volumes/pgdata");
  EXPECT_EQ(refused.status, 409) << refused.body;
  std::string text = body(refused)["message"];
  EXPECT_NE(text.find("pgdata"), std::string::npos) << text;
  EXPECT_EQ(call("GET", "/v2/volumes/pgdata").status, 200);
}

TEST_F(VolumesApiTest, PatchGrowsAVolumeAndRefusesToShrinkIt) {
  ASSERT_EQ(call("POST", "/v2/volumes", R"({"name":"pgdata","size":1024})").status, 201);
  ASSERT_EQ(call("PATCH", "/v2/volumes/pgdata", R"({"size":1536})").status, 200);  // AVAILABLE
  claim("pgdata");  // attached volumes may grow too: the node grows it at its next attach
  HttpResponse grown = call("PATCH", "/v2/volumes/pgdata", R"({"size":2048})");
  ASSERT_EQ(grown.status, 200) << grown.body;
  EXPECT_EQ(body(grown)["size"], 2048);
  EXPECT_EQ(body(call("GET", "/v2/volumes/pgdata"))["size"], 2048);

  HttpResponse shrink = call("PATCH", "/v2/volumes/pgdata", R"({"size":512})");
  EXPECT_EQ(shrink.status, 422) << shrink.body;
  EXPECT_EQ(first_path(shrink), "/size");
  for (const char* bad : {R"({"size":"big"})", R"({})", R"({"size":999999999999})"}) {
    HttpResponse refused = call("PATCH", "/v2/volumes/pgdata", bad);
    EXPECT_EQ(refused.status, 422) << bad << ": " << refused.body;
    EXPECT_EQ(first_path(refused), "/size") << bad;
  }
  EXPECT_EQ(call("PATCH", "/v2/volumes/pgdata", "{oops").status, 400);
  EXPECT_EQ(call("PATCH", "/v2/volumes/nosuch", R"({"size":2048})").status, 404);
  EXPECT_EQ(body(call("GET", "/v2/volumes/pgdata"))["size"], 2048) << "refusals change nothing";
}

TEST_F(VolumesApiTest, OtherMethodsAre405) {
  EXPECT_EQ(call("PUT", "/v2/volumes").status, 405);
  EXPECT_EQ(call("PUT", "/v2/volumes/pgdata").status, 405);
  EXPECT_EQ(call("GET", "/v2/volumes/a/b").status, 404);
}

TEST_F(VolumesApiTest, WithoutAControllerEveryCallIs503) {
  auto without = make_api(nullptr);
  HttpResponse answer = call("GET", "/v2/volumes", "", without.get());
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(body(answer)["message"].get<std::string>().find("not enabled"), std::string::npos);
}

}  // namespace
}  // namespace berth::marathon_api
