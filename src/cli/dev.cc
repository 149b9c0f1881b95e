// berth dev: starting, watching and stopping a local cluster of real processes.
#include "cli/dev.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/atomic_file.h"
#include "common/resources.h"
#include "http/http_client.h"

namespace berth {
namespace {

struct Member {
  std::string name;
  pid_t pid = -1;
};

std::string self_executable(const std::string& argv0) {
  char path[4096] = {};
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : argv0;
}

// Starts `args` in its own process group (so that Ctrl-C reaches only berth dev, which then
// stops the members in order), with stdout and stderr inherited.
Result<pid_t> spawn(const std::string& exe, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork", errno);
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(exe.c_str(), argv.data());
    _exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

// The share of the machine each agent offers, so that N agents do not promise N machines.
std::string agent_resources(int index, int count) {
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGE_SIZE);
  double mem_mb = static_cast<double>(pages) * static_cast<double>(page_size) / (1024.0 * 1024.0);
  double share = std::max(256.0, (mem_mb - 1024) / count);
  long cpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  int first_port = 31000 + index * 1000;
  return "cpus:" + std::to_string(cpus) + ";mem:" + std::to_string(static_cast<long>(share)) +
         ";disk:10240;ports:[" + std::to_string(first_port) + "-" +
         std::to_string(first_port + 999) + "]";
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

// Sends `signal` to every member still running, waits up to `patience` for them to exit.
void stop_members(std::vector<Member>& members, int signal, std::chrono::milliseconds patience) {
  for (auto& member : members) {
    if (member.pid > 0) ::kill(member.pid, signal);
  }
  auto deadline = std::chrono::steady_clock::now() + patience;
  for (auto& member : members) {
    while (member.pid > 0) {
      int status = 0;
      pid_t done = ::waitpid(member.pid, &status, WNOHANG);
      if (done == member.pid || (done < 0 && errno == ECHILD)) {
        member.pid = -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace

Status run_dev(const DevOptions& options, const std::string& argv0) {
  if (!options.attributes.empty() && static_cast<int>(options.attributes.size()) > options.agents) {
    return invalid_argument("--attributes given " + std::to_string(options.attributes.size()) +
                            " times for " + std::to_string(options.agents) + " agents");
  }
  for (const auto& text : options.attributes) {
    auto parsed = parse_attributes(text);
    if (!parsed.ok()) return parsed.error().context("--attributes");
  }
  auto made = make_directories(options.work_dir);
  if (!made.ok()) return invalid_argument(made.error().context("--work_dir").message);
  if (::access(options.work_dir.c_str(), W_OK) != 0) {
    return invalid_argument("--work_dir " + options.work_dir + " is not writable");
  }

  // Signals are taken synchronously below; block them before any child exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);

  const std::string exe = self_executable(argv0);
  const auto started = std::chrono::steady_clock::now();
  std::vector<Member> agents;
  std::vector<Member> masters;

  auto master = spawn(exe, {"master", "--work_dir=" + options.work_dir + "/master",
                            "--port=" + std::to_string(options.port),
                            "--http_port=" + std::to_string(options.http_port), "--ip=127.0.0.1",
                            "--hostname=127.0.0.1"});
  if (!master.ok()) return master.error().context("start master");
  masters.push_back({"master", *master});

  for (int i = 0; i < options.agents; ++i) {
    std::string address = "127.0.0." + std::to_string(i + 2);
    std::vector<std::string> args = {
        "agent", "--master=127.0.0.1:" + std::to_string(options.port),
        "--work_dir=" + options.work_dir + "/agent-" + std::to_string(i + 1),
        // On a dev cluster every agent shares the machine, so one pool stands in for the
        // shared storage every node of a real cluster reaches.
        "--volume_pool=" + options.work_dir + "/volume_pool", "--ip=" + address,
        "--hostname=" + address, "--port=" + std::to_string(options.agent_port),
        "--resources=" + agent_resources(i, options.agents), "--cleanup_on_exit"};
    if (i < static_cast<int>(options.attributes.size())) {
      args.push_back("--attributes=" + options.attributes[static_cast<std::size_t>(i)]);
    }
    auto agent = spawn(exe, args);
    if (!agent.ok()) {
      stop_members(agents, SIGTERM, std::chrono::seconds(5));
      stop_members(masters, SIGTERM, std::chrono::seconds(5));
      return agent.error().context("start agent " + std::to_string(i + 1));
    }
    agents.push_back({address, *agent});
  }

  bool ready = false;
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(15)) {
    if (active_agents(options.port) == options.agents) {
      ready = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (ready) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    spdlog::info(
        "cluster ready in {} ms: master http://127.0.0.1:{} (API, UI) and "
        "http://127.0.0.1:{}/master/slaves; {} agents; work dir {}; Ctrl-C stops it",
        elapsed.count(), options.http_port, options.port, options.agents, options.work_dir);
  } else {
    spdlog::error("the cluster did not become ready within 15 s; see the messages above");
  }

  Status result;
  while (ready) {
    siginfo_t info{};
    int signal = ::sigwaitinfo(&signals, &info);
    if (signal == SIGINT || signal == SIGTERM) {
      spdlog::info("stopping the cluster");
      break;
    }
    if (signal == SIGCHLD) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) continue;
      for (auto* group : {&agents, &masters}) {
        for (auto& member : *group) {
          if (member.pid == pid) {
            member.pid = -1;
            result = internal_error(member.name + " exited unexpectedly (status " +
                                    std::to_string(status) + ")");
          }
        }
      }
      if (!result.ok()) break;
    }
  }
  // Agents first, so that they stop their tasks while the master still listens.
  stop_members(agents, SIGTERM, std::chrono::seconds(10));
  stop_members(agents, SIGKILL, std::chrono::seconds(2));
  stop_members(masters, SIGTERM, std::chrono::seconds(5));
  stop_members(masters, SIGKILL, std::chrono::seconds(2));
  if (!ready) return unavailable("cluster did not start");
  return result;
}

}  // namespace berth
