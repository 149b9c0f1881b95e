// DeploymentPlan: the steps that take the cluster from one set of apps to another (Marathon's
// deployment, marathon-api.md §11 and §12). Built purely from the two sets; the scheduler then
// runs the steps in order, each step's actions side by side, and a step ends when its apps have
// reached their targets.
//
//   original ─┬─ apps only in original ── StopApplication ─┐ one step per dependency level,
//             │                                             │ dependents first
//   target  ──┼─ apps only in target ──── StartApplication ─┤
//             ├─ definition changed ───── RestartApplication├ one step per dependency level,
//             └─ only `instances` changed  ScaleApplication ┘ dependencies first
//
// Unchanged apps appear in no step, but still order the others: if /web depends on /api which
// depends on /db, and /api is unchanged, a changed /db still comes a step before a changed /web.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "marathon/app_definition.h"

namespace berth::scheduler {

enum class DeploymentActionType {
  kStartApplication,
  kStopApplication,
  kScaleApplication,
  kRestartApplication,
};

// "StartApplication", ... as the API shows them.
std::string_view to_string(DeploymentActionType type);

struct DeploymentAction {
  DeploymentActionType type = DeploymentActionType::kStartApplication;
  std::string app_id;

  bool operator==(const DeploymentAction&) const = default;
};

struct DeploymentStep {
  std::vector<DeploymentAction> actions;  // sorted by app id

  bool operator==(const DeploymentStep&) const = default;
};

struct DeploymentPlan {
  std::string id;  // the deployment id (a UUID, chosen by the caller)
  WallTime version;
  std::vector<DeploymentStep> steps;
  std::vector<std::string> affected_apps;  // every app in some step, sorted

  bool empty() const { return steps.empty(); }
};

// Apps by absolute id.
using AppMap = std::map<std::string, marathon::AppDefinition>;
// Group id ("/prod") -> the absolute ids (apps or groups) the group depends on. Every app under
// the group, at any depth, inherits them.
using GroupDependencies = std::map<std::string, std::vector<std::string>>;

// The apps each app waits for, as edges between ids present in `apps`. An app's dependencies
// are its own `dependencies` plus those of every group above it; a dependency naming a group
// stands for every app under that group; ids matching nothing, and an app's dependency on
// itself (through its own group), are dropped.
std::map<std::string, std::vector<std::string>> resolve_dependencies(
    const AppMap& apps, const GroupDependencies& group_dependencies = {});

// Apps grouped by dependency level: level 0 depends on nothing in `apps`, level k on apps of
// levels < k (at least one of level k-1). Ids sorted within a level. Fails with
// kInvalidArgument "Dependency graph has cyclic dependencies." (Marathon's 422 message).
Result<std::vector<std::vector<std::string>>> dependency_levels(
    const AppMap& apps, const GroupDependencies& group_dependencies = {});

// The plan from `original` to `target`. A restart shows as a changed
// versionInfo.lastConfigChangeAt with an otherwise equal definition. `*_group_dependencies`
// are the group dependencies of each side. Fails only on a cycle in the target (an original
// with a cycle, which validation should have refused, stops its apps in one step).
Result<DeploymentPlan> build_deployment_plan(
    std::string id, WallTime version, const AppMap& original, const AppMap& target,
    const GroupDependencies& original_group_dependencies = {},
    const GroupDependencies& target_group_dependencies = {});

// {"action": "ScaleApplication", "app": "/foo"}
nlohmann::json deployment_action_to_json(const DeploymentAction& action);
// {"actions": [{"action": "ScaleApplication", "app": "/foo"}, ...]}
nlohmann::json deployment_step_to_json(const DeploymentStep& step);
// {"steps": [{"actions": [...]}, ...]}: the body of PUT /v2/groups?dryRun=true.
nlohmann::json deployment_steps_to_json(const DeploymentPlan& plan);
// The Deployment object of GET /v2/deployments, with exactly the keys the Python client accepts:
// id, version, affectedApps, affectedPods ([]), steps, currentActions, currentStep, totalSteps.
// `current_step` is 1-based (clamped to [0, totalSteps]; 0: no step running yet, no current
// actions); each current action carries readinessCheckResults from `readiness_check_results`
// (app id -> JSON array), [] for apps not in it.
nlohmann::json deployment_to_json(const DeploymentPlan& plan, std::size_t current_step);
nlohmann::json deployment_to_json(
    const DeploymentPlan& plan, std::size_t current_step,
    const std::map<std::string, nlohmann::json>& readiness_check_results);

}  // namespace berth::scheduler
