// berth: one binary for the master, the agent, the dev cluster, the command-line client of the
// master's API (app, task, deployment, agent ls, volume; docs/cli.md) and (hidden) the per-task
// supervisor. Flags follow Mesos' names where a Mesos user would look for them.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "agent/agent_server.h"
#include "agent/linux/supervisor.h"
#include "cli/agent_command.h"
#include "cli/app_command.h"
#include "cli/completion.h"
#include "cli/daemon_flags.h"
#include "cli/deployment_command.h"
#include "cli/dev.h"
#include "cli/sim_command.h"
#include "cli/task_command.h"
#include "cli/volume_command.h"
#include "http/event_loop.h"
#include "master/master_server.h"

namespace berth {
namespace {

// Exit codes: 0 clean stop, 1 runtime failure, 2 bad command line (the clients' are alike:
// api_client.h).
constexpr int kFailure = 1;
constexpr int kBadFlags = 2;

void setup_logging(const std::string& role) {
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [" + role + "] %v");
}

// Runs `server` on a loop until SIGINT or SIGTERM.
template <typename Server, typename Options>
int serve(const std::string& role, Options options) {
  setup_logging(role);
  EventLoop loop;
  Server server(loop, std::move(options));
  auto started = server.start();
  if (!started.ok()) {
    spdlog::error("{} failed to start: {}", role, started.error().message);
    return kFailure;
  }
  loop.on_signals({SIGINT, SIGTERM}, [&](int signal) {
    spdlog::info("{} stopping on {}", role, ::strsignal(signal));
    server.stop();
    loop.stop();
  });
  loop.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The supervisor runs before anything else is set up: it must start fast and small.
  if (argc > 1 && std::strcmp(argv[1], "__supervise") == 0) return supervise_main(argc, argv);

  // Logs are diagnostics, so they go to stderr like every daemon's; stdout stays for output a
  // script may read.
  spdlog::set_default_logger(spdlog::stderr_color_mt("berth"));

  CLI::App app{"Berth: long-running services and their data on a cluster"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "berth 0.1.0");

  // Every option's help shows its default (CLI11 copies these to each subcommand); those whose
  // default is computed at run time say what it is in their help.
  app.option_defaults()->always_capture_default();

  MasterOptions master;
  CLI::App* master_cmd = app.add_subcommand("master", "run the master");
  master_cmd->add_option("--work_dir,--work-dir", master.work_dir, "where the state lives");
  master_cmd->add_option("--port", master.port, "agents and /master/state");
  master_cmd->add_option("--http_port,--http-port", master.http_port, "the public API");
  master_cmd->add_option("--state", master.state, "sqlite or memory")
      ->check(CLI::IsMember({"sqlite", "memory"}));
  master_cmd->add_option("--ip,--address", master.address, "address to listen on");
  master_cmd->add_option("--hostname", master.hostname,
                         "name to advertise (default: this machine's hostname)");
  add_master_timing_flags(master_cmd, master);

  AgentOptions agent;
  std::string resources_text;
  std::string attributes_text;
  CLI::App* agent_cmd = app.add_subcommand(
      "agent", "run an agent on this node; `berth agent ls` lists the agents instead");
  agent_cmd->add_option("--master", agent.master, "the master's host:port");
  agent_cmd->add_option("--work_dir,--work-dir", agent.work_dir, "checkpoints and sandboxes");
  agent_cmd->add_option("--port", agent.port, "the agent's port");
  agent_cmd->add_option("--ip,--address", agent.address, "address to listen on");
  agent_cmd->add_option("--hostname", agent.hostname,
                        "name to advertise (default: this machine's hostname)");
  agent_cmd->add_option(
      "--resources", resources_text,
      std::string(kResourcesHelp) +
          "; what it leaves out is detected (default: every cpu, the memory less 1 GiB, "
          "the work dir's disk, ports 31000-32000)");
  agent_cmd->add_option("--attributes", attributes_text,
                        std::string(kAttributesHelp) + " (default: none)");
  agent_cmd->add_flag("--cleanup_on_exit,--cleanup-on-exit", agent.cleanup_on_exit,
                      "kill all tasks when stopped (berth dev; default: off, tasks outlive "
                      "the agent)");
  agent_cmd->add_option("--volume_pool,--volume-pool", agent.volume_pool,
                        "directory of blockpool volume images, reached by every agent (a "
                        "shared mount); without it (the default) this agent offers no "
                        "blockpool volumes");
  add_agent_lease_flag(agent_cmd, agent);

  DevOptions dev;
  CLI::App* dev_cmd = app.add_subcommand("dev", "a master and N agents on this machine");
  dev_cmd->add_option("--agents", dev.agents, "number of agents")->check(CLI::Range(1, 50));
  dev_cmd->add_option("--work_dir,--work-dir", dev.work_dir, "state of the whole cluster");
  dev_cmd->add_option("--port", dev.port, "the master's port");
  dev_cmd->add_option("--http_port,--http-port", dev.http_port, "the API port");
  dev_cmd->add_option("--agent_port,--agent-port", dev.agent_port,
                      "the port of every agent, each on its own loopback address");
  dev_cmd
      ->add_option("--resources", dev.resources,
                   std::string(kResourcesHelp) +
                       "; once for every agent, or once per agent in order; laid over each "
                       "agent's default share of this machine (memory split between the "
                       "agents, every cpu, disk:10240, ports 31000-32767 split between the "
                       "agents, at most 500 each: 31000-31499 for agent 1, 31500-31999 for "
                       "agent 2, ...)")
      ->default_str("");
  dev_cmd
      ->add_option("--attributes", dev.attributes,
                   std::string(kAttributesHelp) + "; once per agent, in order (default: none)")
      ->default_str("");
  // The master's own timing flags, forwarded to it; --volume_lease to the agents as well, so
  // that a lease longer than the agents' default takes effect.
  MasterOptions dev_master;
  const std::vector<CLI::Option*> dev_master_flags = add_master_timing_flags(dev_cmd, dev_master);

  // The clients of the master's API, one noun per file.
  AgentListCommand agent_ls;
  CLI::App* agent_ls_cmd = add_agent_list_command(agent_cmd, agent_ls);
  AppCommand app_command;
  CLI::App* app_cmd = add_app_command(app, app_command);
  TaskCommand task;
  CLI::App* task_cmd = add_task_command(app, task);
  DeploymentCommand deployment;
  CLI::App* deployment_cmd = add_deployment_command(app, deployment);
  VolumeCommand volume;
  CLI::App* volume_cmd = add_volume_command(app, volume);
  std::string shell;
  CLI::App* completion_cmd = add_completion_command(app, shell);

  SimCommand sim;
  CLI::App* sim_cmd = add_sim_command(app, sim);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kBadFlags;
  }

  if (*app_cmd) return run_app_command(app_command, std::cin, std::cout, std::cerr);
  if (*task_cmd) return run_task_command(task, std::cout, std::cerr);
  if (*deployment_cmd) return run_deployment_command(deployment, std::cout, std::cerr);
  if (*volume_cmd) return run_volume_command(volume, std::cout, std::cerr);
  if (*agent_ls_cmd) return run_agent_list_command(agent_ls, std::cout, std::cerr);
  if (*completion_cmd) {
    print_bash_completion(app, std::cout);
    return 0;
  }
  if (*sim_cmd) return run_sim_command(sim, std::cout, std::cerr);
  if (*master_cmd) return serve<MasterServer>("master", master);
  if (*agent_cmd) {
    auto resources = Resources::parse(resources_text);
    if (!resources.ok()) {
      std::cerr << "berth agent: --resources: " << resources.error().message << "\n";
      return kBadFlags;
    }
    auto attributes = parse_attributes(attributes_text);
    if (!attributes.ok()) {
      std::cerr << "berth agent: --attributes: " << attributes.error().message << "\n";
      return kBadFlags;
    }
    agent.resources = *resources;
    agent.attributes = *attributes;
    return serve<AgentServer>("agent", agent);
  }
  if (*dev_cmd) {
    setup_logging("dev");
    dev.master_flags = given_flags(dev_master_flags);
    for (const auto& flag : dev.master_flags) {
      if (flag.rfind("--volume_lease=", 0) == 0) dev.agent_flags.push_back(flag);
    }
    auto status = run_dev(dev, argc > 0 ? argv[0] : "berth");
    if (!status.ok()) {
      spdlog::error("berth dev: {}", status.error().message);
      return status.error().code == ErrorCode::kInvalidArgument ? kBadFlags : kFailure;
    }
    return 0;
  }
  return kBadFlags;
}

}  // namespace berth

int main(int argc, char** argv) { return berth::main(argc, argv); }
