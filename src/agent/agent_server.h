// AgentServer: the live agent. It wires AgentCore to the event loop, the Linux containerizer,
// the work directory, the HTTP link to the master, and serves /health, /state and the task
// sandboxes' files (GET /files/read, sandbox_files.h) on --port.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/resources.h"
#include "common/result.h"

namespace berth {

class AgentCore;
class EventLoop;
class FileAgentDisk;
class HttpMasterLink;
class HttpServer;
class Responder;
struct HttpRequest;
class LinuxContainerizer;
class LiveHealthProber;
class LocalFetcher;
class LiveVolumeService;
class Random;

struct AgentOptions {
  std::string master = "127.0.0.1:5050";  // host:port
  std::string work_dir = "/var/lib/berth/agent";
  std::string address = "0.0.0.0";  // listen address
  std::string hostname;             // advertised; defaults to the machine's
  std::uint16_t port = 5051;
  Resources resources;  // what --resources named; the rest is detected
  std::vector<Attribute> attributes;
  // On SIGTERM, kill every task and release its cgroup before exiting (berth dev). Without it
  // the tasks keep running and the next agent on this work dir re-adopts them.
  bool cleanup_on_exit = false;
  // Blockpool volume images (--volume_pool); empty: no blockpool volumes here.
  std::string volume_pool;
  // --volume_lease; the master's volume lease (VolumeControllerConfig::lease) wins if shorter.
  Duration volume_lease = std::chrono::seconds(5);
};

class AgentServer {
 public:
  AgentServer(EventLoop& loop, AgentOptions options);
  ~AgentServer();

  Status start();
  // Stops serving; with cleanup_on_exit also kills the tasks (blocking, bounded).
  void stop();

 private:
  // Where health checks reach tasks: the address their $HOST (the advertised hostname) resolves
  // to, or loopback when it resolves to none.
  std::string probe_address() const;

  void read_file(const HttpRequest& request, const Responder& respond);

  EventLoop& loop_;
  AgentOptions options_;
  std::unique_ptr<FileAgentDisk> disk_;
  std::unique_ptr<LinuxContainerizer> containerizer_;
  std::unique_ptr<HttpMasterLink> link_;
  std::unique_ptr<Random> random_;
  std::unique_ptr<LiveHealthProber> prober_;  // before core_: it outlives the core
  std::unique_ptr<LocalFetcher> fetcher_;
  std::unique_ptr<LiveVolumeService> volumes_;  // before core_: it outlives the core
  std::unique_ptr<AgentCore> core_;
  std::unique_ptr<HttpServer> server_;
};

// "host:port" -> parts; a clear error otherwise.
Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& text);

}  // namespace berth
