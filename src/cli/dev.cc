// berth dev: starting, watching and stopping a local cluster of real processes.
#include "cli/dev.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/child_process.h"
#include "common/atomic_file.h"
#include "common/resources.h"
#include "http/http_client.h"

namespace berth {
namespace {

std::string self_executable(const std::string& argv0) {
  char path[4096] = {};
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : argv0;
}

// The share of the machine each agent offers, so that N agents do not promise N machines.
Resources default_share(int index, int count) {
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGE_SIZE);
  double mem_mb = static_cast<double>(pages) * static_cast<double>(page_size) / (1024.0 * 1024.0);
  Resources share;
  share.set_scalar("cpus", static_cast<double>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN))));
  share.set_scalar(
      "mem", static_cast<double>(static_cast<long>(std::max(256.0, (mem_mb - 1024) / count))));
  share.set_scalar("disk", 10240);
  // Apart, so that tasks of different agents that bind every address do not collide, and below
  // the kernel's ephemeral ports (32768 and up by default): an outgoing connection of anything on
  // the machine may hold one of those for a moment, and a task given it fails to bind. Past 17
  // agents the ranges reach into it.
  constexpr std::uint64_t kFirstPort = 31000;
  constexpr std::uint64_t kFirstEphemeral = 32768;
  const std::uint64_t span = std::clamp<std::uint64_t>(
      (kFirstEphemeral - kFirstPort) / static_cast<std::uint64_t>(std::max(count, 1)), 100, 500);
  const std::uint64_t first_port = kFirstPort + static_cast<std::uint64_t>(index) * span;
  share.set_ports(Ranges({{first_port, first_port + span - 1}}));
  return share;
}

// Counts active agents at the master, or -1 if it does not answer yet.
int active_agents(std::uint16_t port) {
  auto response = http_fetch("127.0.0.1", port,
                             ClientRequest{"GET", "/master/slaves", "", "application/json",
                                           std::chrono::milliseconds(500)});
  if (!response.ok() || response->status != 200) return -1;
  auto doc = nlohmann::json::parse(response->body, nullptr, false);
  if (!doc.is_object()) return -1;
  int active = 0;
  for (const auto& slave : doc["slaves"]) active += slave.value("active", false) ? 1 : 0;
  return active;
}

Status check_options(const DevOptions& options) {
  auto per_agent = [&](const std::vector<std::string>& values, const std::string& flag) -> Status {
    if (static_cast<int>(values.size()) > options.agents) {
      return invalid_argument(flag + " given " + std::to_string(values.size()) + " times for " +
                              std::to_string(options.agents) + " agents");
    }
    return {};
  };
  BERTH_RETURN_IF_ERROR(per_agent(options.attributes, "--attributes"));
  BERTH_RETURN_IF_ERROR(per_agent(options.resources, "--resources"));
  for (const auto& text : options.attributes) {
    auto parsed = parse_attributes(text);
    if (!parsed.ok()) return parsed.error().context("--attributes");
  }
  for (const auto& text : options.resources) {
    auto parsed = dev_agent_resources(0, 1, text);
    if (!parsed.ok()) return parsed.error().context("--resources");
  }
  auto made = make_directories(options.work_dir);
  if (!made.ok()) return invalid_argument(made.error().context("--work_dir").message);
  if (::access(options.work_dir.c_str(), W_OK) != 0) {
    return invalid_argument("--work_dir " + options.work_dir + " is not writable");
  }
  return {};
}

ChildProcess master_process(const DevOptions& options) {
  ChildProcess master{
      "master",
      {"master", "--work_dir=" + options.work_dir + "/master",
       "--port=" + std::to_string(options.port), "--http_port=" + std::to_string(options.http_port),
       "--ip=127.0.0.1", "--hostname=127.0.0.1"}};
  master.args.insert(master.args.end(), options.master_flags.begin(), options.master_flags.end());
  return master;
}

ChildProcess agent_process(const DevOptions& options, int i) {
  const auto index = static_cast<std::size_t>(i);
  const std::string address = "127.0.0." + std::to_string(i + 2);
  std::string given;
  if (options.resources.size() == 1) given = options.resources[0];
  if (options.resources.size() > 1 && index < options.resources.size()) {
    given = options.resources[index];
  }
  ChildProcess agent{
      "agent " + std::to_string(i + 1) + " (" + address + ")",
      {"agent", "--master=127.0.0.1:" + std::to_string(options.port),
       "--work_dir=" + options.work_dir + "/agent-" + std::to_string(i + 1),
       // On a dev cluster every agent shares the machine, so one pool stands in for the
       // shared storage every node of a real cluster reaches.
       "--volume_pool=" + options.work_dir + "/volume_pool", "--ip=" + address,
       "--hostname=" + address, "--port=" + std::to_string(options.agent_port),
       // Checked by check_options().
       "--resources=" + *dev_agent_resources(i, options.agents, given), "--cleanup_on_exit"}};
  if (index < options.attributes.size()) {
    agent.args.push_back("--attributes=" + options.attributes[index]);
  }
  agent.args.insert(agent.args.end(), options.agent_flags.begin(), options.agent_flags.end());
  return agent;
}

// Waits until every agent is active at the master, for at most 15 s.
bool wait_until_ready(const DevOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(15)) {
    if (active_agents(options.port) == options.agents) {
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      spdlog::info(
          "cluster ready in {} ms: master http://127.0.0.1:{} (API, UI) and "
          "http://127.0.0.1:{}/master/slaves; {} agents; work dir {}; Ctrl-C stops it",
          elapsed.count(), options.http_port, options.port, options.agents, options.work_dir);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  spdlog::error("the cluster did not become ready within 15 s; see the messages above");
  return false;
}

}  // namespace

std::string dev_pid_file(const DevOptions& options) { return options.work_dir + "/dev.pid"; }

Result<std::string> dev_agent_resources(int index, int count, const std::string& given) {
  auto parsed = Resources::parse(given);
  if (!parsed.ok()) return invalid_argument(parsed.error().message);
  Resources resources = default_share(index, count);
  for (const auto& [name, value] : parsed->scalars()) resources.set_scalar(name, value);
  if (!parsed->ports().empty()) resources.set_ports(parsed->ports());
  return resources.to_string();
}

Status run_dev(const DevOptions& options, const std::string& argv0) {
  BERTH_RETURN_IF_ERROR(check_options(options));

  // Signals are taken synchronously below; block them before any child exists.
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGINT, SIGTERM, SIGCHLD, SIGHUP}) sigaddset(&signals, signal);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);

  const std::string exe = self_executable(argv0);
  const std::string pid_file = dev_pid_file(options);
  if (auto s = write_file_atomically(pid_file, std::to_string(::getpid()) + "\n"); !s.ok()) {
    spdlog::warn("write {}: {}; `kill -HUP` needs berth dev's pid from elsewhere", pid_file,
                 s.error().message);
  }
  std::vector<ChildProcess> masters = {master_process(options)};
  std::vector<ChildProcess> agents;
  auto stop_all = [&] {
    // Agents first, so that they stop their tasks while the master still listens.
    stop_children(agents, SIGTERM, std::chrono::seconds(10));
    stop_children(agents, SIGKILL, std::chrono::seconds(2));
    stop_children(masters, SIGTERM, std::chrono::seconds(5));
    stop_children(masters, SIGKILL, std::chrono::seconds(2));
    ::unlink(pid_file.c_str());
  };

  if (auto s = start_child(exe, masters[0]); !s.ok()) return s.error().context("start master");
  for (int i = 0; i < options.agents; ++i) {
    agents.push_back(agent_process(options, i));
    if (auto s = start_child(exe, agents.back()); !s.ok()) {
      stop_all();
      return s.error().context("start " + agents.back().name);
    }
  }
  if (!wait_until_ready(options)) {
    stop_all();
    return unavailable("cluster did not start");
  }

  Status result;
  while (result.ok()) {
    siginfo_t info{};
    const int signal = ::sigwaitinfo(&signals, &info);
    if (signal == SIGINT || signal == SIGTERM) {
      spdlog::info("stopping the cluster");
      break;
    }
    if (signal == SIGHUP) {
      int restarted = 0;
      for (auto& agent : agents) {
        if (agent.pid > 0) continue;
        spdlog::info("starting {} again on its work dir", agent.name);
        if (auto s = start_child(exe, agent); !s.ok()) {
          spdlog::error("start {}: {}", agent.name, s.error().message);
        }
        ++restarted;
      }
      if (restarted == 0) spdlog::info("SIGHUP: every agent is running; nothing to start");
      continue;
    }
    // SIGCHLD: several children may have exited for one signal.
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      if (masters[0].pid == pid) {
        masters[0].pid = -1;
        result = internal_error("the master " + exit_text(status) +
                                "; a dev cluster cannot work without it");
        continue;
      }
      for (auto& agent : agents) {
        if (agent.pid != pid) continue;
        agent.pid = -1;
        // Like a node that failed: it stays down (its tasks are lost or fenced as on a real
        // cluster) until the operator brings it back. Only berth dev starts it again, so that
        // two agents never share a work dir and Ctrl-C still stops it.
        spdlog::warn(
            "{} {}; the master and the other agents keep running. It stays down until you "
            "start it again: `kill -HUP {}` (the pid is in {}) restarts every stopped agent on "
            "its work dir",
            agent.name, exit_text(status), ::getpid(), pid_file);
      }
    }
  }
  stop_all();
  return result;
}

}  // namespace berth
