// Deployments: their JSON for the API and for the store.
#include "scheduler/deployment.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon/group_json.h"
#include "scheduler/stored_app.h"

namespace berth::scheduler {
namespace {

using nlohmann::json;

constexpr DeploymentActionType kTypes[] = {
    DeploymentActionType::kStartApplication, DeploymentActionType::kStopApplication,
    DeploymentActionType::kScaleApplication, DeploymentActionType::kRestartApplication};

json apps_to_store(const std::map<std::string, marathon::AppDefinition>& apps) {
  json out = json::object();
  for (const auto& [id, app] : apps) out[id] = json::parse(stored_app_json(app));
  return out;
}

Result<std::map<std::string, marathon::AppDefinition>> apps_from_store(const json& doc) {
  std::map<std::string, marathon::AppDefinition> apps;
  for (const auto& [id, value] : doc.items()) {
    auto app = parse_stored_app(value.dump());
    if (!app.ok()) return app.error().context("app " + id);
    apps.emplace(id, std::move(*app));
  }
  return apps;
}

// A root group holding `apps`; `version` names the root when given (the target's), otherwise
// the newest app below stands for it.
json root_group(const std::map<std::string, marathon::AppDefinition>& apps,
                std::optional<WallTime> version) {
  std::vector<marathon::AppDefinition> list;
  for (const auto& [id, app] : apps) list.push_back(app);
  std::vector<marathon::GroupDefinition> groups;
  if (version) groups.push_back({"/", {}, *version});
  auto text = marathon::group_info_json(
      "/", list, groups, marathon::GroupEmbed{},
      [](const marathon::AppDefinition& app) { return marathon::app_to_json(app); });
  // Only an unknown group fails, and the root always exists.
  if (!text.ok()) std::abort();
  return json::parse(*text);
}

}  // namespace

bool Deployment::affects(const std::string& app_id) const {
  return std::binary_search(plan.affected_apps.begin(), plan.affected_apps.end(), app_id);
}

std::size_t Deployment::step_of(const std::string& app_id) const {
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    for (const DeploymentAction& action : plan.steps[i].actions) {
      if (action.app_id == app_id) return i;
    }
  }
  return plan.steps.size();
}

std::string deployment_json(const Deployment& deployment) {
  return deployment_to_json(deployment.plan, deployment.current_step + 1).dump();
}

std::string deployment_plan_json(const Deployment& deployment) {
  json plan{{"id", deployment.plan.id},
            {"original", root_group(deployment.original, std::nullopt)},
            {"target", root_group(deployment.target, deployment.plan.version)},
            {"steps", deployment_steps_to_json(deployment.plan).at("steps")},
            {"version", format_timestamp(deployment.plan.version)}};
  return plan.dump();
}

std::string deployment_step_json(const Deployment& deployment, std::size_t step) {
  const auto& steps = deployment.plan.steps;
  if (step >= steps.size()) return json{{"actions", json::array()}}.dump();
  return deployment_step_to_json(steps[step]).dump();
}

std::string deployment_to_store(const Deployment& deployment) {
  json steps = json::array();
  for (const DeploymentStep& step : deployment.plan.steps) {
    json actions = json::array();
    for (const DeploymentAction& action : step.actions) {
      actions.push_back({{"type", static_cast<int>(action.type)}, {"app", action.app_id}});
    }
    steps.push_back(std::move(actions));
  }
  json doc{{"id", deployment.plan.id},
           {"version", format_timestamp(deployment.plan.version)},
           {"steps", std::move(steps)},
           {"current_step", deployment.current_step},
           {"affected_apps", deployment.plan.affected_apps},
           {"original", apps_to_store(deployment.original)},
           {"target", apps_to_store(deployment.target)}};
  return doc.dump();
}

Result<Deployment> deployment_from_store(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return internal_error("deployment: not JSON");
  try {
    Deployment deployment;
    deployment.plan.id = doc.at("id").get<std::string>();
    auto version = parse_timestamp(doc.at("version").get<std::string>());
    if (!version.ok()) return version.error().context("deployment " + deployment.plan.id);
    deployment.plan.version = *version;
    for (const json& step : doc.at("steps")) {
      DeploymentStep parsed;
      for (const json& action : step) {
        int type = action.at("type").get<int>();
        if (type < 0 || type > 3) return internal_error("deployment: bad action type");
        parsed.actions.push_back({kTypes[type], action.at("app").get<std::string>()});
      }
      deployment.plan.steps.push_back(std::move(parsed));
    }
    deployment.current_step = doc.at("current_step").get<std::size_t>();
    deployment.plan.affected_apps = doc.at("affected_apps").get<std::vector<std::string>>();
    auto original = apps_from_store(doc.at("original"));
    if (!original.ok()) return original.error().context("deployment " + deployment.plan.id);
    deployment.original = std::move(*original);
    auto target = apps_from_store(doc.at("target"));
    if (!target.ok()) return target.error().context("deployment " + deployment.plan.id);
    deployment.target = std::move(*target);
    return deployment;
  } catch (const json::exception& e) {
    return internal_error(std::string("deployment: ") + e.what());
  }
}

}  // namespace berth::scheduler
