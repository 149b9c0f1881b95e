// The live agent process: containerizer, checkpoints, master link and the agent's HTTP port.
#include "agent/agent_server.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

#include "agent/agent_core.h"
#include "agent/agent_disk.h"
#include "agent/http_master_link.h"
#include "agent/linux/linux_containerizer.h"
#include "agent/live_health_prober.h"
#include "agent/live_volume_service.h"
#include "agent/local_fetcher.h"
#include "agent/machine.h"
#include "agent/sandbox_files.h"
#include "api/resources_json.h"
#include "http/event_loop.h"
#include "http/http_errors.h"
#include "http/http_server.h"

namespace berth {
namespace {

constexpr char kVersion[] = "0.1.0";

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return invalid_argument("'" + text + "' is not host:port");
  }
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || stop != end || port == 0 || port > 65535) {
    return invalid_argument("'" + text + "' has no valid port");
  }
  return std::make_pair(text.substr(0, colon), static_cast<std::uint16_t>(port));
}

AgentServer::AgentServer(EventLoop& loop, AgentOptions options)
    : loop_(loop), options_(std::move(options)) {}

AgentServer::~AgentServer() = default;

std::string AgentServer::probe_address() const {
  std::string address = resolve_ipv4(options_.hostname);
  if (address.empty()) {
    spdlog::warn("hostname {} resolves to no IPv4 address; health checks probe 127.0.0.1",
                 options_.hostname);
    return "127.0.0.1";
  }
  return address;
}

Status AgentServer::start() {
  auto master = parse_host_port(options_.master);
  if (!master.ok()) return master.error().context("--master");
  if (options_.hostname.empty()) options_.hostname = machine_hostname();

  disk_ = std::make_unique<FileAgentDisk>(options_.work_dir);
  BERTH_RETURN_IF_ERROR(disk_->init());
  auto resources = complete_resources(options_.resources, options_.work_dir);
  if (!resources.ok()) return resources.error().context("detect resources");

  server_ = std::make_unique<HttpServer>(loop_, [this](HttpRequest request, Responder respond) {
    if (request.path == "/health") {
      return respond(HttpResponse{200, "application/json", R"({"healthy":true})", {}});
    }
    if (request.path == "/state") {
      nlohmann::json tasks = nlohmann::json::array();
      for (const auto& [id, task] : core_->tasks()) {
        nlohmann::json entry{{"id", id}, {"state", to_string(task.state)}};
        if (!task.pending.empty() && task.pending.back().healthy) {
          entry["healthy"] = *task.pending.back().healthy;
        }
        tasks.push_back(std::move(entry));
      }
      nlohmann::json body{{"id", core_->agent_id()},
                          {"hostname", options_.hostname},
                          {"registered", core_->registered()},
                          {"tasks", tasks}};
      return respond(HttpResponse{200, "application/json", body.dump(), {}});
    }
    if (request.path == "/files/read" && request.method == "GET")
      return read_file(request, respond);
    respond(HttpResponse{404, "application/json", R"({"message":"URI not found"})", {}});
  });
  auto port = server_->listen(options_.address, options_.port);
  if (!port.ok()) return port.error().context("agent --port");

  AgentConfig config;
  config.hostname = options_.hostname;
  config.port = *port;
  config.resources = *resources;
  config.attributes = options_.attributes;
  config.boot_id = machine_boot_id();
  config.version = kVersion;
  config.volume_lease = options_.volume_lease;

  LinuxContainerizer::Options containerizer_options;
  containerizer_options.runtime_dir = disk_->containers_path();
  containerizer_options.volume_lease_file = disk_->volume_lease_path();
  // One cgroup subtree per agent work dir, so that agents sharing a machine never collide.
  containerizer_options.cgroup_root =
      "berth/agent-" + std::to_string(std::hash<std::string>{}(options_.work_dir) % 1000000007);
  LinuxContainerizer::Hooks hooks;
  hooks.watch_readable = [this](int fd, std::function<void()> fn) {
    return loop_.watch_readable(fd, std::move(fn));
  };
  hooks.unwatch = [this](std::uint64_t id) { loop_.unwatch(id); };
  hooks.post = [this](std::function<void()> fn) { loop_.post(std::move(fn)); };
  containerizer_ = std::make_unique<LinuxContainerizer>(hooks, containerizer_options);
  BERTH_RETURN_IF_ERROR(containerizer_->init());

  link_ = std::make_unique<HttpMasterLink>(loop_, master->first, master->second,
                                           std::chrono::seconds(5));
  random_ = std::make_unique<Random>(Random::os_seed());
  prober_ = std::make_unique<LiveHealthProber>(
      loop_,
      [this](const std::string& task_id) { return containerizer_->supervisor_pidfd(task_id); },
      probe_address());
  fetcher_ = std::make_unique<LocalFetcher>(
      [this](std::function<void()> work, std::function<void()> done) {
        loop_.run_blocking(std::move(work), std::move(done));
      });
  volumes_ = std::make_unique<LiveVolumeService>(
      [this](std::function<void()> work, std::function<void()> done) {
        loop_.run_blocking(std::move(work), std::move(done));
      },
      LiveVolumeOptions{options_.work_dir, options_.volume_pool, config.boot_id});
  BERTH_RETURN_IF_ERROR(volumes_->init());
  core_ =
      std::make_unique<AgentCore>(config, loop_.clock(), *containerizer_, *disk_, *link_, *random_,
                                  AgentServices{prober_.get(), fetcher_.get(), volumes_.get()});
  BERTH_RETURN_IF_ERROR(core_->start());
  spdlog::info("agent {} on {}:{} offering {}", options_.hostname, options_.address, *port,
               resources->to_string());
  return {};
}

void AgentServer::read_file(const HttpRequest& request, const Responder& respond) {
  auto query =
      parse_sandbox_read(request.param("path"), request.param("offset"), request.param("length"));
  if (!query.ok()) return respond(error_response(query.error()));
  // A slow disk must not stall heartbeats and status updates: read on a worker.
  auto result = std::make_shared<Result<FileChunk>>(FileChunk{});
  loop_.run_blocking(
      [result, root = disk_->sandboxes_path(), query = *query] {
        *result = read_sandbox_file(root, query.path, query.offset, query.length);
      },
      [result, respond] {
        if (!result->ok()) return respond(error_response(result->error()));
        // Logs are bytes; a chunk may end inside a UTF-8 sequence, which JSON cannot carry, so
        // such bytes are replaced and `length` (Berth's addition to Mesos' shape) counts the
        // bytes read, for the next offset.
        nlohmann::json body{{"data", (*result)->data},
                            {"offset", (*result)->offset},
                            {"length", (*result)->data.size()}};
        respond(json_response(200,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
      });
}

void AgentServer::stop() {
  if (server_) server_->close();
  if (!options_.cleanup_on_exit || !containerizer_) {
    // Running tasks stay for the next agent to adopt, and so do staged volumes; an empty mount
    // root is unmounted so that an agent that never comes back leaves nothing mounted.
    if (volumes_) {
      auto unmounted = volumes_->unmount_root_if_unused();
      if (!unmounted.ok()) spdlog::warn("agent exit: {}", unmounted.error().message);
    }
    return;
  }
  auto running = containerizer_->running();
  // SIGKILL ends each container's pid namespace at once; destroy() then reaps what is left and
  // removes its cgroup, so nothing outlives the agent.
  for (const auto& id : running) {
    containerizer_->signal(id, SIGKILL);
    containerizer_->destroy(id);
  }
  if (volumes_) {
    auto released = volumes_->release_all_and_unmount_root();
    if (!released.ok())
      spdlog::warn("agent exit: volumes left in place: {}", released.error().message);
  }
  spdlog::info("agent stopped and cleaned up {} tasks", running.size());
}

}  // namespace berth
