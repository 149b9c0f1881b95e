// Master restart time: how long a master whose SQLite state holds N tasks (default 10,000) takes
// from exec to serving again. The state is written through the real store and the real record
// format (3 agents, N running tasks), then `berth master` is started on it 5 times; each run is
// timed from fork to the first 200 from /health (the master listens only after recovering), and
// to a complete /master/tasks listing. Prints the median of each and a JSON line last.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/random.h"
#include "common/time_format.h"
#include "http/http_client.h"
#include "master/agent_registry.h"
#include "master/task_record.h"
#include "state/sqlite_state_store.h"

namespace berth {
namespace {

using Clock = std::chrono::steady_clock;

bool fill_state(const std::string& path, int task_count) {
  auto store = SqliteStateStore::open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return false;
  }
  Random random(1);
  std::vector<Mutation> batch{Mutation::put("meta/master_id", "bench-master")};
  std::vector<std::string> agent_ids;
  for (int i = 0; i < 3; ++i) {
    AgentRecord agent;
    agent.id = "bench-master-S" + std::to_string(i);
    agent.hostname = "127.0.0." + std::to_string(i + 2);
    agent.port = 5051;
    agent.total = *Resources::parse("cpus:100000;mem:100000000;ports:[31000-32000]");
    agent.registered_time = std::chrono::system_clock::now();
    batch.push_back(Mutation::put("agents/" + agent.id, agent_to_json(agent)));
    agent_ids.push_back(agent.id);
  }
  for (int i = 0; i < task_count; ++i) {
    TaskRecord task;
    task.spec.task_id = "bench." + random.uuid();
    task.spec.name = "bench";
    task.spec.command = "sleep 3600";
    task.spec.environment = {{"HOST", "127.0.0.2"}, {"PORT0", "31000"}};
    task.spec.resources = *Resources::parse("cpus:0.1;mem:32");
    task.agent_id = agent_ids[static_cast<std::size_t>(i) % agent_ids.size()];
    task.hostname = "127.0.0.2";
    task.state = TaskState::kRunning;
    task.staged_at = std::chrono::system_clock::now();
    task.started_at = task.staged_at;
    task.updated_at = task.staged_at;
    batch.push_back(Mutation::put("tasks/" + task.id(), task_to_json(task)));
    if (batch.size() >= 1000) {
      if (!store->get()->commit(batch).ok()) return false;
      batch.clear();
    }
  }
  return store->get()->commit(batch).ok();
}

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int run(int argc, char** argv) {
  int task_count = argc > 1 ? std::atoi(argv[1]) : 10000;
  std::string berth = argc > 2 ? argv[2] : "build/release/bin/berth";
  std::string dir = std::filesystem::temp_directory_path() / ("berth-recovery-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  if (!fill_state(dir + "/state.db", task_count)) return 1;
  auto db_size = std::filesystem::file_size(dir + "/state.db");

  std::vector<double> to_health;
  std::vector<double> to_listing;
  const std::uint16_t port = 25050;
  for (int run = 0; run < 5; ++run) {
    auto start = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string work = "--work_dir=" + dir;
      ::execl(berth.c_str(), berth.c_str(), "master", work.c_str(), "--port=25050",
              "--http_port=28080", "--ip=127.0.0.1", "--hostname=127.0.0.1", nullptr);
      _exit(127);
    }
    double health = -1;
    double listing = -1;
    while (millis_since(start) < 30000) {
      auto response = http_fetch("127.0.0.1", port, {"GET", "/health", "", "", std::chrono::milliseconds(200)});
      if (response.ok() && response->status == 200) {
        health = millis_since(start);
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    auto tasks = http_fetch("127.0.0.1", port,
                            {"GET", "/master/tasks", "", "", std::chrono::milliseconds(10000)});
    if (tasks.ok() && tasks->status == 200) listing = millis_since(start);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    if (health < 0 || listing < 0) {
      std::fprintf(stderr, "master did not come up\n");
      return 1;
    }
    to_health.push_back(health);
    to_listing.push_back(listing);
  }
  std::sort(to_health.begin(), to_health.end());
  std::sort(to_listing.begin(), to_listing.end());
  std::printf("master restart with %d tasks in its SQLite state (%.1f MB): median %.1f ms from exec "
              "to /health answering (min %.1f, max %.1f), %.1f ms to a full /master/tasks listing; "
              "5 runs, state written through SqliteStateStore in the master's own record format\n",
              task_count, static_cast<double>(db_size) / 1e6, to_health[2], to_health[0],
              to_health[4], to_listing[2]);
  std::printf("{\"tasks\":%d,\"restart_to_serving_ms\":%.1f,\"restart_to_full_listing_ms\":%.1f}\n",
              task_count, to_health[2], to_listing[2]);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace berth

int main(int argc, char** argv) { return berth::run(argc, argv); }
