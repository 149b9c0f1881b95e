// Which extras an app- or group-returning endpoint embeds (marathon-api.md §1.6, §3.2): embed
// names are accepted with any of the prefixes "group.apps.", "apps.", "app." or none, so
// embed=app.tasks, embed=apps.tasks and embed=tasks are the same. Unknown names are ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::marathon {

struct AppEmbed {
  bool tasks = false;
  bool counts = false;
  bool deployments = false;
  bool readiness = false;
  bool last_task_failure = false;
  bool task_stats = false;

  bool operator==(const AppEmbed&) const = default;
};

// The name without its prefix: "group.apps.tasks" -> "tasks".
std::string_view embed_name(std::string_view value);

// Resolves the `embed` values of an app endpoint. `tasks` implies `deployments`; `failures`
// (deprecated) is tasks + lastTaskFailure + deployments.
AppEmbed resolve_app_embed(const std::vector<std::string>& values);

struct GroupEmbed {
  bool groups = true;
  bool apps = true;
  bool pods = true;
  AppEmbed app;  // for each embedded app

  bool operator==(const GroupEmbed&) const = default;
};

// Resolves the `embed` values of a group endpoint: group.groups, group.apps, group.pods and
// group.apps.<app embed>. No (known) values: groups, apps and pods. An app embed implies
// group.apps.
GroupEmbed resolve_group_embed(const std::vector<std::string>& values);

}  // namespace berth::marathon
