// Tests of the client nouns' command lines: what each verb parses to, usage errors caught
// before any request, $BERTH_MASTER, JSON documents and the completion script.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <sstream>

#include "cli/agent_command.h"
#include "cli/app_command.h"
#include "cli/completion.h"
#include "cli/deployment_command.h"
#include "cli/task_command.h"
#include "cli/volume_command.h"

namespace berth {
namespace {

// The client part of berth's command tree, parsed as main() parses it.
struct Berth {
  CLI::App app{"berth"};
  AppCommand apps;
  TaskCommand tasks;
  DeploymentCommand deployments;
  VolumeCommand volumes;
  AgentListCommand agents;
  std::string shell;

  Berth() {
    add_app_command(app, apps);
    add_task_command(app, tasks);
    add_deployment_command(app, deployments);
    add_volume_command(app, volumes);
    add_agent_list_command(app.add_subcommand("agent"), agents);
    add_completion_command(app, shell);
  }

  // True when the command line parses.
  bool parse(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    try {
      app.parse(args);
      return true;
    } catch (const CLI::ParseError&) {
      return false;
    }
  }
};

TEST(ClientCommandsTest, AppVerbs) {
  Berth berth;
  ASSERT_TRUE(berth.parse({"app", "scale", "/shop/web", "3", "--force", "--master=m:1"}));
  EXPECT_EQ(berth.apps.verb, AppCommand::Verb::kScale);
  EXPECT_EQ(berth.apps.id, "/shop/web");
  EXPECT_EQ(berth.apps.instances, 3);
  EXPECT_TRUE(berth.apps.force);
  EXPECT_EQ(berth.apps.client.master, "m:1");

  Berth update;
  ASSERT_TRUE(update.parse({"app", "--json", "update", "web", "-", "--wait"}));
  EXPECT_EQ(update.apps.verb, AppCommand::Verb::kUpdate);
  EXPECT_EQ(update.apps.file, "-");
  EXPECT_TRUE(update.apps.wait);
  EXPECT_TRUE(update.apps.client.json);

  EXPECT_FALSE(Berth().parse({"app", "scale", "web", "-1"}));
  EXPECT_FALSE(Berth().parse({"app", "scale", "web"}));
  EXPECT_FALSE(Berth().parse({"app"}));
  EXPECT_FALSE(Berth().parse({"app", "ls", "--force"}));
}

TEST(ClientCommandsTest, TaskVerbs) {
  Berth kill;
  ASSERT_TRUE(kill.parse({"task", "kill", "web.1", "--scale"}));
  EXPECT_EQ(kill.tasks.verb, TaskCommand::Verb::kKill);
  EXPECT_TRUE(kill.tasks.scale);
  // Marathon refuses scale with wipe; the client says so before asking.
  EXPECT_FALSE(Berth().parse({"task", "kill", "web.1", "--scale", "--wipe"}));

  Berth logs;
  ASSERT_TRUE(logs.parse({"task", "logs", "web.1", "-n", "5", "--stderr"}));
  EXPECT_EQ(logs.tasks.verb, TaskCommand::Verb::kLogs);
  EXPECT_EQ(logs.tasks.lines, 5);
  EXPECT_TRUE(logs.tasks.only_stderr);
  EXPECT_FALSE(Berth().parse({"task", "logs", "web.1", "--stdout", "--stderr"}));
}

TEST(ClientCommandsTest, DeploymentVerbs) {
  Berth watch;
  ASSERT_TRUE(watch.parse({"deployment", "watch", "d-1", "--interval=2secs"}));
  EXPECT_EQ(watch.deployments.verb, DeploymentCommand::Verb::kWatch);
  EXPECT_EQ(watch.deployments.interval, std::chrono::milliseconds(2000));
  EXPECT_FALSE(Berth().parse({"deployment", "watch", "d-1", "--interval=soon"}));

  Berth cancel;
  ASSERT_TRUE(cancel.parse({"deployment", "cancel", "d-1", "--force"}));
  EXPECT_EQ(cancel.deployments.verb, DeploymentCommand::Verb::kCancel);
  EXPECT_TRUE(cancel.deployments.force);
}

TEST(ClientCommandsTest, MasterFromTheEnvironmentUnlessTheFlagSaysOtherwise) {
  ::setenv(kMasterEnv, "envhost:9", 1);
  Berth from_env;
  ASSERT_TRUE(from_env.parse({"agent", "ls"}));
  EXPECT_EQ(from_env.agents.client.master, "envhost:9");
  Berth flag_wins;
  ASSERT_TRUE(flag_wins.parse({"volume", "ls", "--master", "flag:8"}));
  EXPECT_EQ(flag_wins.volumes.client.master, "flag:8");
  ::unsetenv(kMasterEnv);
  Berth fallback;
  ASSERT_TRUE(fallback.parse({"task", "ls"}));
  EXPECT_EQ(fallback.tasks.client.master, kDefaultMaster);
}

TEST(ClientCommandsTest, UnusableMasterIsBadUsage) {
  AppCommand command;
  command.client.master = "nohostport";
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_app_command(command, in, out, err), kExitBadUsage);
  EXPECT_EQ(err.str(), "berth app ls: --master must be host:port, not 'nohostport'\n");
}

TEST(ClientCommandsTest, VolumeTableNamesNodesByHostname) {
  const auto volumes = nlohmann::json::parse(R"([
    {"name":"pgdata","driver":"blockpool","size":1024,"kind":"external","state":"ATTACHED",
     "attachment":{"agentId":"c0ffee-S3","epoch":2},"claims":["pg.1"]},
    {"name":"orphan","driver":"blockpool","size":512,"kind":"external","state":"FENCING",
     "attachment":{"agentId":"gone-S9","epoch":1},"claims":[]},
    {"name":"spare","driver":"local","size":64,"kind":"local","state":"AVAILABLE","claims":[]}])");
  std::ostringstream out;
  print_volume_table(out, volumes, {{"c0ffee-S3", "127.0.0.15"}});
  EXPECT_EQ(out.str(),
            "NAME    DRIVER     SIZE    KIND      STATE      HOST        EPOCH  CLAIMS\n"
            "pgdata  blockpool  1GiB    external  ATTACHED   127.0.0.15  2      pg.1\n"
            "orphan  blockpool  512MiB  external  FENCING    gone-S9     1      -\n"
            "spare   local      64MiB   local     AVAILABLE  -           -      -\n");
}

TEST(ClientCommandsTest, JsonDocuments) {
  std::istringstream good(R"({"id": "web", "instances": 2})");
  EXPECT_EQ(*read_json_document("-", good), R"({"id":"web","instances":2})");
  std::istringstream broken("{\"id\": ");
  auto refused = read_json_document("-", broken);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message.rfind("stdin: not JSON: ", 0), 0u);
  std::istringstream list("[1]");
  EXPECT_EQ(read_json_document("-", list).error().message, "stdin: expected a JSON object");
  std::istringstream none;
  EXPECT_EQ(read_json_document("/no/such/app.json", none).error().message,
            "cannot read /no/such/app.json");
}

TEST(ClientCommandsTest, CompletionCoversEveryVerb) {
  Berth berth;
  std::ostringstream out;
  print_bash_completion(berth.app, out);
  const std::string script = out.str();
  for (const char* expected :
       {"berth) commands=\"app task deployment volume agent completion\"",
        "berth/app) commands=\"add ls show scale suspend restart update rm\"",
        "berth/task) commands=\"ls kill logs\"", "berth/deployment) commands=\"ls watch cancel\"",
        "berth/agent/ls) path=", "complete -o default -F _berth berth"}) {
    EXPECT_NE(script.find(expected), std::string::npos) << expected << "\n" << script;
  }
  // A verb completes its own flags and its noun's (--master, --json).
  auto scale = script.find("    berth/app/scale) commands=\"\" options=\"");
  ASSERT_NE(scale, std::string::npos);
  const std::string line = script.substr(scale, script.find('\n', scale) - scale);
  for (const char* flag : {"--force", "--wait", "--master", "--json", "--help"}) {
    EXPECT_NE(line.find(flag), std::string::npos) << flag << " in " << line;
  }
}

}  // namespace
}  // namespace berth
