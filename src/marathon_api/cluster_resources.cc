// /v2/deployments, /v2/tasks, /v2/queue, /v2/info and /v2/leader (marathon-api.md §3.3–§3.6).
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon_api/resources.h"
#include "marathon_api/task_json.h"
#include "master/master_core.h"
#include "scheduler/app_driver.h"
#include "scheduler/app_scheduler.h"
#include "scheduler/launch_spec.h"

namespace berth::marathon_api {
namespace {

using nlohmann::json;

// readinessCheckResults of the apps a deployment is starting now: one per new task of an app
// with a readiness check.
std::map<std::string, json> readiness_results(ApiContext& context,
                                              const scheduler::Deployment& deployment) {
  std::map<std::string, json> results;
  if (deployment.current_step >= deployment.plan.steps.size()) return results;
  for (const auto& action : deployment.plan.steps[deployment.current_step].actions) {
    auto target = deployment.target.find(action.app_id);
    if (target == deployment.target.end() || target->second.readiness_checks.empty()) continue;
    const std::string version = scheduler::config_version(target->second);
    json list = json::array();
    for (const TaskRecord* task : context.master.live_tasks_of(action.app_id)) {
      if (task->spec.app_version != version) continue;
      list.push_back({{"name", target->second.readiness_checks.front().name},
                      {"taskId", task->id()},
                      {"ready", task->ready.value_or(false)},
                      {"lastResponse", nullptr}});
    }
    results[action.app_id] = std::move(list);
  }
  return results;
}

HttpResponse list_deployments(ApiContext& context) {
  json list = json::array();
  for (const auto& [id, deployment] : context.scheduler.deployments()) {
    list.push_back(scheduler::deployment_to_json(deployment.plan, deployment.current_step + 1,
                                                 readiness_results(context, deployment)));
  }
  return json_ok(200, list.dump());
}

HttpResponse cancel_deployment(ApiContext& context, const HttpRequest& request,
                               const std::string& id) {
  bool force = flag(request, "force", false);
  auto result = context.scheduler.cancel(id, force);
  if (!result.ok()) return error(result.error());
  if (!*result) return HttpResponse{202, "application/json", "", {}};
  return deployment_result(200, **result);
}

// GET /v2/tasks with optional status filters ("running", "staging").
HttpResponse list_tasks(ApiContext& context, const HttpRequest& request) {
  std::vector<std::string> statuses = request.params("status");
  for (const std::string& value : request.params("status[]")) statuses.push_back(value);
  auto wanted = [&statuses](TaskState state) {
    if (statuses.empty()) return true;
    for (const std::string& status : statuses) {
      if (status == "running" && state == TaskState::kRunning) return true;
      if (status == "staging" && (state == TaskState::kStaging || state == TaskState::kStarting)) {
        return true;
      }
    }
    return false;
  };
  TasksByApp tasks = tasks_by_app(context.master);
  std::string out = "[";
  for (const auto& [app_id, list] : tasks) {
    const marathon::AppDefinition* app = context.scheduler.find_app(app_id);
    for (const TaskRecord* task : list) {
      if (!wanted(task->state)) continue;
      if (out.size() > 1) out += ",";
      out += task_json(*task, app);
    }
  }
  return json_ok(200, "{\"tasks\":" + out + "]}");
}

// POST /v2/tasks/delete {"ids":[...]}: ids that do not name a task of an app are skipped;
// ids that cannot be task ids at all are refused.
HttpResponse delete_tasks(ApiContext& context, const HttpRequest& request) {
  bool scale = flag(request, "scale", false);
  if (scale && flag(request, "wipe", false)) {
    return message(400, "You cannot use scale and wipe at the same time.");
  }
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return error(malformed("Invalid JSON", "could not parse the body"));
  if (!body.is_object() || !body.contains("ids") || !body["ids"].is_array()) {
    return error(invalid_fields({{"/ids", {"error.path.missing"}}}));
  }
  std::vector<std::string> ids;
  for (const json& id : body["ids"]) {
    if (!id.is_string() || scheduler::app_id_of_task(id.get<std::string>()).size() < 2) {
      return message(400, "Invalid task id '" +
                              (id.is_string() ? id.get<std::string>() : id.dump()) +
                              "'. [the id names no app]");
    }
    ids.push_back(id.get<std::string>());
  }
  std::vector<const TaskRecord*> killed;
  std::vector<std::string> killed_ids;
  for (const std::string& id : ids) {
    const TaskRecord* task = context.master.find_task(id);
    if (task == nullptr || task->spec.app_id.empty() || is_terminal(task->state)) continue;
    killed.push_back(task);
    killed_ids.push_back(id);
  }
  std::string killed_json = "[";
  for (const TaskRecord* task : killed) {
    if (killed_json.size() > 1) killed_json += ",";
    killed_json += task_json(*task, context.scheduler.find_app(task->spec.app_id));
  }
  killed_json += "]";
  std::vector<std::string> app_ids;
  for (const TaskRecord* task : killed) app_ids.push_back(task->spec.app_id);
  auto result = context.scheduler.kill_tasks(killed_ids, scale, flag(request, "force", false),
                                             flag(request, "wipe", false));
  if (!result.ok()) return deploy_error(context, result.error(), app_ids);
  if (scale && *result) return deployment_result(200, **result);
  return json_ok(200, "{\"tasks\":" + killed_json + "}");
}

HttpResponse list_queue(ApiContext& context, const HttpRequest& request) {
  bool offers = false;
  for (const std::string& value : request.params("embed")) {
    if (value == "lastUnusedOffers") offers = true;
  }
  Instant now = context.clock.now();
  json queue = json::array();
  for (const scheduler::QueueEntry& entry : context.scheduler.queue()) {
    const marathon::AppDefinition* app = context.scheduler.find_app(entry.app_id);
    if (app == nullptr) continue;
    auto left = entry.delay_until > now ? entry.delay_until - now : Duration::zero();
    std::int64_t left_seconds =
        (std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 999) / 1000;
    json rejects = json::array();
    int agents = 0;
    for (const auto& [reason, count] : entry.refusals) {
      rejects.push_back({{"reason", reason}, {"declined", count}, {"processed", count}});
      agents += count;
    }
    json item{{"app", json::parse(marathon::app_to_json(*app))},
              {"count", entry.count},
              {"delay", {{"timeLeftSeconds", left_seconds}, {"overdue", left_seconds == 0}}},
              {"since", format_timestamp(entry.since)},
              {"processedOffersSummary",
               {{"processedOffersCount", agents},
                {"unusedOffersCount", agents},
                {"rejectSummaryLastOffers", rejects},
                {"rejectSummaryLaunchAttempt", rejects},
                // Berth's own explanation, in words (the raw dict is passed through by clients).
                {"message", entry.message}}}};
    if (offers) {
      json reasons = json::array();
      for (const auto& [reason, count] : entry.refusals) reasons.push_back(reason);
      item["lastUnusedOffers"] =
          json::array({{{"offer", json::object()},
                        {"timestamp", format_timestamp(context.clock.wall())},
                        {"reason", reasons}}});
    }
    queue.push_back(std::move(item));
  }
  return json_ok(200, json{{"queue", std::move(queue)}}.dump());
}

// The keys python3-marathon accepts in /v2/info, and nothing else (marathon-api.md §15).
HttpResponse info(ApiContext& context) {
  const ServerIdentity& identity = context.identity;
  std::string leader = identity.hostname + ":" + std::to_string(identity.http_port);
  json doc{{"name", "marathon"},
           {"version", "1.10.0"},
           {"buildref", "berth-0.1.0"},
           {"elected", true},
           {"leader", leader},
           {"frameworkId", identity.framework_id},
           {"marathon_config",
            {{"master", identity.master_address},
             {"features", json::array({"external_volumes"})},
             {"framework_name", "marathon"},
             {"ha", false},
             {"hostname", identity.hostname},
             {"local_port_min", 10000},
             {"local_port_max", 20000},
             {"task_reservation_timeout", 20000},
             {"webui_url", context.base_url()}}},
           {"zookeeper_config", json::object()},
           {"http_config", {{"http_port", identity.http_port}}}};
  return json_ok(200, doc.dump());
}

}  // namespace

HttpResponse handle_deployments(ApiContext& context, const HttpRequest& request,
                                const std::vector<std::string>& segments) {
  if (segments.size() == 2 && request.method == "GET") return list_deployments(context);
  if (segments.size() == 3 && request.method == "DELETE") {
    return cancel_deployment(context, request, segments[2]);
  }
  return message(segments.size() <= 3 ? 405 : 404,
                 segments.size() <= 3 ? "Method not allowed" : "URI not found");
}

HttpResponse handle_tasks(ApiContext& context, const HttpRequest& request,
                          const std::vector<std::string>& segments) {
  if (segments.size() == 2 && request.method == "GET") return list_tasks(context, request);
  if (segments.size() == 3 && segments[2] == "delete" && request.method == "POST") {
    return delete_tasks(context, request);
  }
  return message(404, "URI not found");
}

HttpResponse handle_queue(ApiContext& context, const HttpRequest& request,
                          const std::vector<std::string>& segments) {
  if (segments.size() == 2 && request.method == "GET") return list_queue(context, request);
  if (segments.size() >= 4 && segments.back() == "delay" && request.method == "DELETE") {
    auto status = context.scheduler.reset_delay(join_id(segments, 2, segments.size() - 1));
    if (!status.ok()) return error(status.error());
    return HttpResponse{204, "application/json", "", {}};
  }
  return message(404, "URI not found");
}

HttpResponse handle_info(ApiContext& context, const HttpRequest& request,
                         const std::vector<std::string>& segments) {
  if (segments.size() != 2) return message(404, "URI not found");
  if (segments[1] == "info" && request.method == "GET") return info(context);
  if (segments[1] == "leader" && request.method == "GET") {
    return json_ok(200, json{{"leader", context.identity.hostname + ":" +
                                            std::to_string(context.identity.http_port)}}
                            .dump());
  }
  if (segments[1] == "leader" && request.method == "DELETE") {
    // One master: there is nobody to hand leadership to.
    return message(503, "Berth runs one master; there is no other to take over leadership.");
  }
  return message(405, "Method not allowed");
}

}  // namespace berth::marathon_api
