// Benchmark of LinuxContainerizer on this machine (run as root): how long a launch takes until
// the command runs, how long a whole launch → exit → destroy cycle of `true` takes, and how
// many such cycles per second one agent sustains with many in flight. Prints each figure and
// how it was obtained.
//
//   linux_containerizer_bench [--supervisor PATH] [--runs N] [--dir DIR]
//
// PATH defaults to the small test supervisor; pass the berth binary to include its start-up.
// DIR (default /tmp) holds the runtime directory and the sandboxes: its filesystem matters, as
// every launch creates and every destroy deletes a handful of files.
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/linux/linux_containerizer.h"
#include "agent/linux/test_event_loop.h"
#include "common/atomic_file.h"

namespace berth {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time (user + system) of this process and of its reaped descendants: the supervisors are
// our children and reap the commands, so a finished cycle is counted whole (kernel threads
// doing deferred cgroup and namespace teardown are not).
double cpu_ms() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage usage{};
    ::getrusage(who, &usage);
    for (const timeval& t : {usage.ru_utime, usage.ru_stime}) {
      total += static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
    }
  }
  return total;
}

struct Stats {
  double mean, p50, p90, p99, max;
};

Stats stats(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  auto at = [&](double q) { return values[static_cast<std::size_t>(q * (values.size() - 1))]; };
  return {sum / values.size(), at(0.5), at(0.9), at(0.99), values.back()};
}

void print(const char* what, const Stats& s) {
  std::printf("%-44s mean %7.2f  p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f ms\n", what, s.mean,
              s.p50, s.p90, s.p99, s.max);
}

int run(const std::string& supervisor, int runs, const std::string& dir) {
  std::string pattern = dir + "/berth-containerizer-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return 1;
  std::string base = pattern;
  TestEventLoop loop;
  LinuxContainerizer::Options options;
  options.runtime_dir = base + "/containers";
  options.cgroup_root = "berth-bench/" + std::to_string(::getpid());
  options.supervisor_path = supervisor;
  LinuxContainerizer containerizer(loop.hooks(), options);
  if (auto status = containerizer.init(); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.error().message.c_str());
    return 1;
  }
  int exits = 0;
  int failures = 0;
  containerizer.set_exit_callback([&](ContainerExit exit) {
    ++exits;
    if (exit.kind != ContainerExit::Kind::kExited || exit.code != 0) {
      ++failures;
      std::fprintf(stderr, "task %s: %s\n", exit.task_id.c_str(), exit.message.c_str());
    }
    containerizer.destroy(exit.task_id);
  });
  auto make_spec = [&](const std::string& id, std::vector<std::string> argv) {
    ContainerSpec spec;
    spec.task_id = id;
    spec.shell = false;
    spec.arguments = std::move(argv);
    spec.cpus = 0.1;
    spec.mem_mb = 32;
    spec.sandbox_dir = base + "/sandboxes/" + id;
    (void)make_directories(spec.sandbox_dir);
    return spec;
  };

  // 1. Launch latency: the sandbox's stdout is a FIFO that we hold open for reading; the first
  // byte `echo` writes marks the command running.
  std::vector<double> call, running;
  for (int i = 0; i < runs; ++i) {
    ContainerSpec spec = make_spec("up-" + std::to_string(i), {"/bin/echo", "up"});
    std::string fifo = spec.sandbox_dir + "/stdout";
    ::mkfifo(fifo.c_str(), 0644);
    int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int before = exits;
    auto start = Clock::now();
    auto launched = containerizer.launch(spec);
    auto returned = Clock::now();
    if (!launched.ok()) {
      std::fprintf(stderr, "%s\n", launched.error().message.c_str());
      return 1;
    }
    pollfd entry{reader, POLLIN, 0};
    if (::poll(&entry, 1, 5000) != 1 || !(entry.revents & POLLIN)) {
      std::fprintf(stderr, "command of %s never ran\n", spec.task_id.c_str());
      return 1;
    }
    auto up = Clock::now();
    call.push_back(ms(returned - start));
    running.push_back(ms(up - start));
    loop.run_until([&] { return exits > before; }, 5s);
    ::close(reader);
  }

  // 2. Whole cycles of `true`, one at a time: launch, exit reported, destroyed.
  std::vector<double> cycle;
  for (int i = 0; i < runs; ++i) {
    int before = exits;
    auto start = Clock::now();
    if (!containerizer.launch(make_spec("true-" + std::to_string(i), {"/bin/true"})).ok()) return 1;
    if (!loop.run_until([&] { return exits > before; }, 5s)) return 1;
    cycle.push_back(ms(Clock::now() - start));
  }

  // 3. Throughput: `runs` cycles with up to 16 in flight, as an agent sees a burst of launches.
  int started = 0;
  int before = exits;
  auto burst_start = Clock::now();
  double burst_cpu_start = cpu_ms();
  while (exits - before < runs) {
    while (started < runs && started - (exits - before) < 16) {
      if (!containerizer.launch(make_spec("burst-" + std::to_string(started), {"/bin/true"}))
               .ok()) {
        return 1;
      }
      ++started;
    }
    int seen = exits;
    loop.run_until([&] { return exits > seen; }, 5s);
  }
  double burst_s = ms(Clock::now() - burst_start) / 1000;
  double burst_cpu_ms = (cpu_ms() - burst_cpu_start) / runs;

  std::printf("LinuxContainerizer on %ld cpus, supervisor %s, files in %s, %d runs each\n",
              ::sysconf(_SC_NPROCESSORS_ONLN), supervisor.c_str(), dir.c_str(), runs);
  std::printf("cgroups %s\n", containerizer.cgroups().describe().c_str());
  print("launch() call (on the agent's loop)", stats(call));
  print("launch request -> command running", stats(running));
  print("launch -> exit reported, `true`, serial", stats(cycle));
  std::printf("%-44s %7.0f launches/s (launch, exit, destroy; 16 in flight)\n",
              "burst throughput, `true`", runs / burst_s);
  std::printf("%-44s %7.2f ms per launch+exit+destroy (agent, supervisor and command)\n",
              "burst CPU time, `true`", burst_cpu_ms);
  if (failures > 0) std::printf("%d tasks failed\n", failures);
  (void)remove_tree(base);
  (void)containerizer.cgroups().remove(options.cgroup_root);
  (void)containerizer.cgroups().remove("berth-bench");
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace berth

int main(int argc, char** argv) {
  std::string supervisor = BERTH_TEST_SUPERVISOR;
  int runs = 100;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--supervisor") == 0) supervisor = argv[i + 1];
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  return berth::run(supervisor, runs, dir);
}
