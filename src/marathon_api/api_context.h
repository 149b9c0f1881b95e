// What every v2 API handler works with: the scheduler and master it reads and commands, the
// clock, the server's identity, and where API events go. Handlers are plain functions of
// (context, request) -> response, so contract tests call them without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "http/http_types.h"
#include "marathon/app_definition.h"

namespace berth {
class MasterCore;
struct TaskRecord;
class VolumeController;
}  // namespace berth

namespace berth::scheduler {
class AppScheduler;
struct Deployment;
}  // namespace berth::scheduler

namespace berth::marathon_api {

struct ServerIdentity {
  std::string hostname;  // advertised host name
  std::uint16_t http_port = 8080;
  std::string framework_id;    // the master's id, shown as Marathon's frameworkId
  std::string master_address;  // host:port of the Mesos-style endpoint
};

struct ApiContext {
  scheduler::AppScheduler& scheduler;
  MasterCore& master;
  Clock& clock;
  ServerIdentity identity;
  // api_post_event: (client ip, uri, the app as posted).
  std::function<void(const std::string&, const std::string&, const marathon::AppDefinition&)>
      api_post;
  // /v2/volumes; null: the master runs without volumes and the resource answers 503.
  VolumeController* volumes = nullptr;

  std::string base_url() const {
    return "http://" + identity.hostname + ":" + std::to_string(identity.http_port);
  }
};

// The request path under /v2/<resource>/, split on '/' with empty segments dropped (so that
// "/v2/apps//mongo-1/" and "/v2/apps/mongo-1" are the same).
std::vector<std::string> path_segments(const std::string& path);
// "/a/b" from segments [first, last).
std::string join_id(const std::vector<std::string>& segments, std::size_t first, std::size_t last);

// Marathon's booleans: "true" in any case is true, anything else false; absent: `fallback`.
bool flag(const HttpRequest& request, const std::string& name, bool fallback);

// Responses.
HttpResponse json_ok(int status, std::string body);
HttpResponse error(const Error& error);
HttpResponse message(int status, const std::string& text);
// {"deploymentId":..., "version":...} with the Marathon-Deployment-Id header.
HttpResponse deployment_result(int status, const scheduler::Deployment& deployment);
// An error from AppScheduler::deploy; a lock conflict lists the locking deployments.
HttpResponse deploy_error(const ApiContext& context, const Error& error,
                          const std::vector<std::string>& app_ids);

}  // namespace berth::marathon_api
