// Deployment plans: dependency resolution, levels, the diff between two app sets, and JSON.
#include "scheduler/deployment_plan.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/time_format.h"

namespace berth::scheduler {
namespace {

constexpr std::string_view kCycleMessage = "Dependency graph has cyclic dependencies.";

// "/a/b/c" -> "/a/b", "/a", "/".
std::vector<std::string> ancestor_groups(const std::string& app_id) {
  std::vector<std::string> groups;
  std::string id = app_id;
  while (true) {
    auto slash = id.rfind('/');
    if (slash == std::string::npos) break;
    id = slash == 0 ? "/" : id.substr(0, slash);
    groups.push_back(id);
    if (id == "/") break;
  }
  return groups;
}

// The apps a dependency id stands for: the app itself, or every app under the group.
void expand(const std::string& dependency, const AppMap& apps, std::set<std::string>& out) {
  if (apps.count(dependency)) {
    out.insert(dependency);
    return;
  }
  std::string prefix = dependency;
  if (prefix.empty() || prefix.back() != '/') prefix += '/';
  for (auto it = apps.lower_bound(prefix); it != apps.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.insert(it->first);
  }
}

enum class Mark { kNew, kVisiting, kDone };

// The level of `id`: 0 without dependencies, else one more than its deepest dependency.
// Returns false on a cycle.
bool compute_level(const std::string& id,
                   const std::map<std::string, std::vector<std::string>>& edges,
                   std::map<std::string, Mark>& marks, std::map<std::string, std::size_t>& levels) {
  // Iterative depth-first search: dependency chains can be long and recursion would be bounded
  // by the stack.
  struct Frame {
    const std::string* id;
    std::size_t next = 0;
  };
  std::vector<Frame> stack{{&id, 0}};
  marks[id] = Mark::kVisiting;
  while (!stack.empty()) {
    Frame& frame = stack.back();
    const auto& deps = edges.at(*frame.id);
    if (frame.next < deps.size()) {
      const std::string& dep = deps[frame.next++];
      Mark& mark = marks[dep];
      if (mark == Mark::kVisiting) return false;
      if (mark == Mark::kNew) {
        mark = Mark::kVisiting;
        stack.push_back({&dep, 0});
      }
      continue;
    }
    std::size_t level = 0;
    for (const std::string& dep : deps) level = std::max(level, levels.at(dep) + 1);
    levels[*frame.id] = level;
    marks[*frame.id] = Mark::kDone;
    stack.pop_back();
  }
  return true;
}

bool config_changed(const marathon::AppDefinition& before, const marathon::AppDefinition& after) {
  return !before.differs_only_in_instances(after) ||
         before.version_info.last_config_change_at != after.version_info.last_config_change_at;
}

}  // namespace

std::string_view to_string(DeploymentActionType type) {
  switch (type) {
    case DeploymentActionType::kStartApplication:
      return "StartApplication";
    case DeploymentActionType::kStopApplication:
      return "StopApplication";
    case DeploymentActionType::kScaleApplication:
      return "ScaleApplication";
    case DeploymentActionType::kRestartApplication:
      return "RestartApplication";
  }
  return "Unknown";
}

std::map<std::string, std::vector<std::string>> resolve_dependencies(
    const AppMap& apps, const GroupDependencies& group_dependencies) {
  std::map<std::string, std::vector<std::string>> edges;
  for (const auto& [id, app] : apps) {
    std::set<std::string> targets;
    for (const std::string& dependency : app.dependencies) expand(dependency, apps, targets);
    for (const std::string& group : ancestor_groups(id)) {
      auto inherited = group_dependencies.find(group);
      if (inherited == group_dependencies.end()) continue;
      for (const std::string& dependency : inherited->second) expand(dependency, apps, targets);
    }
    targets.erase(id);
    edges[id] = std::vector<std::string>(targets.begin(), targets.end());
  }
  return edges;
}

Result<std::vector<std::vector<std::string>>> dependency_levels(
    const AppMap& apps, const GroupDependencies& group_dependencies) {
  auto edges = resolve_dependencies(apps, group_dependencies);
  std::map<std::string, Mark> marks;
  std::map<std::string, std::size_t> levels;
  for (const auto& [id, deps] : edges) {
    if (marks[id] != Mark::kNew) continue;
    if (!compute_level(id, edges, marks, levels)) {
      return invalid_argument(std::string(kCycleMessage));
    }
  }
  std::vector<std::vector<std::string>> grouped;
  for (const auto& [id, level] : levels) {
    if (grouped.size() <= level) grouped.resize(level + 1);
    grouped[level].push_back(id);  // map order: sorted within the level
  }
  return grouped;
}

Result<DeploymentPlan> build_deployment_plan(std::string id, WallTime version,
                                             const AppMap& original, const AppMap& target,
                                             const GroupDependencies& original_group_dependencies,
                                             const GroupDependencies& target_group_dependencies) {
  DeploymentPlan plan;
  plan.id = std::move(id);
  plan.version = version;
  std::set<std::string> affected;

  // Stops, dependents first: the deepest level of the original graph goes first.
  std::set<std::string> stopped;
  for (const auto& [app_id, app] : original) {
    if (!target.count(app_id)) stopped.insert(app_id);
  }
  if (!stopped.empty()) {
    auto levels = dependency_levels(original, original_group_dependencies);
    std::vector<std::vector<std::string>> order;
    if (levels.ok()) {
      order.assign(levels->rbegin(), levels->rend());
    } else {
      order.push_back(std::vector<std::string>(stopped.begin(), stopped.end()));
    }
    for (const auto& level : order) {
      DeploymentStep step;
      for (const std::string& app_id : level) {
        if (stopped.count(app_id)) {
          step.actions.push_back({DeploymentActionType::kStopApplication, app_id});
        }
      }
      if (!step.actions.empty()) plan.steps.push_back(std::move(step));
    }
    affected.insert(stopped.begin(), stopped.end());
  }

  // Starts, restarts and scales, dependencies first.
  auto levels = dependency_levels(target, target_group_dependencies);
  if (!levels.ok()) return levels.error();
  for (const auto& level : *levels) {
    DeploymentStep step;
    for (const std::string& app_id : level) {
      const marathon::AppDefinition& after = target.at(app_id);
      auto before = original.find(app_id);
      if (before == original.end()) {
        step.actions.push_back({DeploymentActionType::kStartApplication, app_id});
      } else if (config_changed(before->second, after)) {
        step.actions.push_back({DeploymentActionType::kRestartApplication, app_id});
      } else if (before->second.instances != after.instances) {
        step.actions.push_back({DeploymentActionType::kScaleApplication, app_id});
      } else {
        continue;
      }
      affected.insert(app_id);
    }
    if (!step.actions.empty()) plan.steps.push_back(std::move(step));
  }

  plan.affected_apps.assign(affected.begin(), affected.end());
  return plan;
}

nlohmann::json deployment_action_to_json(const DeploymentAction& action) {
  return {{"action", std::string(to_string(action.type))}, {"app", action.app_id}};
}

nlohmann::json deployment_step_to_json(const DeploymentStep& step) {
  nlohmann::json actions = nlohmann::json::array();
  for (const DeploymentAction& action : step.actions) {
    actions.push_back(deployment_action_to_json(action));
  }
  return {{"actions", std::move(actions)}};
}

namespace {

nlohmann::json steps_json(const DeploymentPlan& plan) {
  nlohmann::json steps = nlohmann::json::array();
  for (const DeploymentStep& step : plan.steps) steps.push_back(deployment_step_to_json(step));
  return steps;
}

}  // namespace

nlohmann::json deployment_steps_to_json(const DeploymentPlan& plan) {
  return {{"steps", steps_json(plan)}};
}

nlohmann::json deployment_to_json(const DeploymentPlan& plan, std::size_t current_step) {
  return deployment_to_json(plan, current_step, {});
}

nlohmann::json deployment_to_json(
    const DeploymentPlan& plan, std::size_t current_step,
    const std::map<std::string, nlohmann::json>& readiness_check_results) {
  current_step = std::min(current_step, plan.steps.size());
  nlohmann::json current_actions = nlohmann::json::array();
  if (current_step > 0) {
    for (const DeploymentAction& action : plan.steps[current_step - 1].actions) {
      nlohmann::json entry = deployment_action_to_json(action);
      auto readiness = readiness_check_results.find(action.app_id);
      entry["readinessCheckResults"] =
          readiness == readiness_check_results.end() ? nlohmann::json::array() : readiness->second;
      current_actions.push_back(std::move(entry));
    }
  }
  return {
      {"id", plan.id},
      {"version", format_timestamp(plan.version)},
      {"affectedApps", plan.affected_apps},
      {"affectedPods", nlohmann::json::array()},
      {"steps", steps_json(plan)},
      {"currentActions", std::move(current_actions)},
      {"currentStep", current_step},
      {"totalSteps", plan.steps.size()},
  };
}

}  // namespace berth::scheduler
