// The DVDI environment interface: defaults, suffixes, options, and every kind of bad input the
// module refused (and a few it let through that Berth does not).
#include "api/dvdi_env.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

using Env = std::map<std::string, std::string>;

TEST(DvdiEnvTest, NoVariablesNoVolumes) {
  auto volumes = task_volumes_from_dvdi_env({{"PATH", "/bin"}, {"DVDI_OTHER", "x"}});
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  EXPECT_TRUE(volumes->empty());
}

TEST(DvdiEnvTest, DefaultsForASingleVolume) {
  auto volumes = task_volumes_from_dvdi_env({{"DVDI_VOLUME_NAME", "testing"}});
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  ASSERT_EQ(volumes->size(), 1u);
  const TaskVolume& v = (*volumes)[0];
  EXPECT_EQ(v.volume.name, "testing");
  EXPECT_EQ(v.volume.driver, "rexray");
  EXPECT_TRUE(v.volume.external);
  EXPECT_EQ(v.volume.size_mib, 0);
  EXPECT_EQ(v.container_path, "/var/lib/rexray/volumes/testing");
  EXPECT_FALSE(v.read_only);
}

TEST(DvdiEnvTest, TheModulesExample) {
  Env env{{"DVDI_VOLUME_NAME", "testing"},
          {"DVDI_VOLUME_DRIVER", "platform1"},
          {"DVDI_VOLUME_OPTS", "size=5,iops=150,volumetype=io1,newfstype=ext4,overwritefs=false"},
          {"DVDI_VOLUME_NAME1", "testing2"},
          {"DVDI_VOLUME_DRIVER1", "platform2"},
          {"DVDI_VOLUME_OPTS1", "size=6,volumetype=gp2,newfstype=xfs,overwritefs=true"},
          {"DVDI_VOLUME_CONTAINERPATH1", "/data"}};
  auto volumes = task_volumes_from_dvdi_env(env);
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  ASSERT_EQ(volumes->size(), 2u);
  EXPECT_EQ((*volumes)[0].volume.driver, "platform1");
  EXPECT_EQ((*volumes)[0].volume.size_mib, 5 * 1024);
  EXPECT_EQ((*volumes)[0].volume.fs_type, "ext4");
  EXPECT_EQ((*volumes)[0].volume.options.at("iops"), "150");
  EXPECT_EQ((*volumes)[1].volume.name, "testing2");
  EXPECT_EQ((*volumes)[1].volume.fs_type, "xfs");
  EXPECT_EQ((*volumes)[1].volume.size_mib, 6 * 1024);
  EXPECT_EQ((*volumes)[1].container_path, "/data");
}

TEST(DvdiEnvTest, SuffixZeroIsTheUnsuffixedVolume) {
  auto volumes = task_volumes_from_dvdi_env({{"DVDI_VOLUME_NAME0", "a"}});
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  ASSERT_EQ(volumes->size(), 1u);
  EXPECT_EQ((*volumes)[0].volume.name, "a");
}

TEST(DvdiEnvTest, ExplicitCreateAndNamesAreLowerCased) {
  auto volumes = task_volumes_from_dvdi_env(
      {{"DVDI_VOLUME_NAME", "PgData"}, {"DVDI_VOLUME_EXPLICITCREATE", "true"}});
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  EXPECT_EQ((*volumes)[0].volume.name, "pgdata");
  EXPECT_EQ((*volumes)[0].volume.options.at("dvdi/explicitCreate"), "true");
}

TEST(DvdiEnvTest, ValuesWithEqualsAreKeptWhole) {
  auto volumes =
      task_volumes_from_dvdi_env({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_OPTS", "k=x=y,"}});
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  EXPECT_EQ((*volumes)[0].volume.options.at("k"), "x=y");
}

TEST(DvdiEnvTest, ANameTwiceWithoutPathsIsMountedOnce) {
  auto volumes =
      task_volumes_from_dvdi_env({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_NAME2", "A"}});
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  EXPECT_EQ(volumes->size(), 1u);
}

void expect_refused(const Env& env, const std::string& mention) {
  auto volumes = task_volumes_from_dvdi_env(env);
  ASSERT_FALSE(volumes.ok()) << "accepted: " << mention;
  EXPECT_EQ(volumes.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(volumes.error().message.find(mention), std::string::npos) << volumes.error().message;
}

TEST(DvdiEnvTest, BadInputIsRefusedNamingTheVariable) {
  expect_refused({{"DVDI_VOLUME_NAME10", "a"}}, "DVDI_VOLUME_NAME10");
  expect_refused({{"DVDI_VOLUME_NAMEx", "a"}}, "DVDI_VOLUME_NAMEx");
  expect_refused({{"DVDI_VOLUME_NAME", "a/b"}}, "DVDI_VOLUME_NAME");
  expect_refused({{"DVDI_VOLUME_NAME", "a b"}}, "DVDI_VOLUME_NAME");
  expect_refused({{"DVDI_VOLUME_NAME", "$(reboot)"}}, "DVDI_VOLUME_NAME");
  expect_refused({{"DVDI_VOLUME_NAME", std::string("a\0b", 3)}}, "DVDI_VOLUME_NAME");
  expect_refused({{"DVDI_VOLUME_NAME", ".."}}, "DVDI_VOLUME_NAME");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_DRIVER", "re;x"}}, "DVDI_VOLUME_DRIVER");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_OPTS", "size"}}, "DVDI_VOLUME_OPTS");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_OPTS", "size=big"}}, "size");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_OPTS", "size=-1"}}, "size");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_OPTS", "size=99999999"}}, "size");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_CONTAINERPATH", "data"}},
                 "DVDI_VOLUME_CONTAINERPATH");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_CONTAINERPATH", "/x/../etc"}},
                 "DVDI_VOLUME_CONTAINERPATH");
  expect_refused({{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_CONTAINERPATH", "/"}},
                 "DVDI_VOLUME_CONTAINERPATH");
  expect_refused({{"DVDI_VOLUME_OPTS3", "size=1"}}, "DVDI_VOLUME_NAME3");
  expect_refused(
      {{"DVDI_VOLUME_NAME", "a"}, {"DVDI_VOLUME_CONTAINERPATH", "/d"}, {"DVDI_VOLUME_NAME1", "a"}},
      "named twice");
  expect_refused({{"DVDI_VOLUME_NAME", "a"},
                  {"DVDI_VOLUME_CONTAINERPATH", "/d"},
                  {"DVDI_VOLUME_NAME1", "b"},
                  {"DVDI_VOLUME_CONTAINERPATH1", "/d"}},
                 "used by two volumes");
}

}  // namespace
}  // namespace berth
