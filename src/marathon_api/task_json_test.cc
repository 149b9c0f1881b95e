// Marathon's Task object as Berth renders it: here, the local volumes of resident tasks.
#include "marathon_api/task_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "master/task_record.h"
#include "scheduler/app_volumes.h"

namespace berth::marathon_api {
namespace {

using nlohmann::json;

TaskVolume volume(const std::string& name, const std::string& path, bool external) {
  TaskVolume volume;
  volume.volume.name = name;
  volume.volume.external = external;
  volume.container_path = path;
  return volume;
}

TEST(TaskJsonTest, LocalVolumesNameEachPersistentVolumeTheTaskHolds) {
  TaskRecord task;
  task.spec.task_id = "db.1f2e";
  task.spec.app_id = "/prod/db";
  task.spec.volumes = {
      volume(scheduler::local_volume_name("/prod/db", "pgdata", 0), "pgdata", false),
      volume("shared-media", "/media", true),
      volume(scheduler::local_volume_name("/prod/db", "wal", 0), "wal", false)};
  json rendered = json::parse(task_json(task, nullptr));
  EXPECT_EQ(rendered["localVolumes"], json::parse(R"([
      {"containerPath": "pgdata", "persistenceId": "prod_db.pgdata.0"},
      {"containerPath": "wal", "persistenceId": "prod_db.wal.0"}])"));
}

TEST(TaskJsonTest, TasksWithoutLocalVolumesShowAnEmptyList) {
  TaskRecord task;
  task.spec.task_id = "web.1";
  task.spec.app_id = "/web";
  task.spec.volumes = {volume("media", "/media", true)};
  EXPECT_EQ(json::parse(task_json(task, nullptr))["localVolumes"], json::array());
}

}  // namespace
}  // namespace berth::marathon_api
