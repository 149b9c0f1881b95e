// Resolution of Marathon's embed query values.
#include "marathon/embed.h"

namespace berth::marathon {

namespace {

void apply_app_name(std::string_view name, AppEmbed& embed) {
  if (name == "tasks") {
    embed.tasks = embed.deployments = true;
  } else if (name == "counts") {
    embed.counts = true;
  } else if (name == "deployments") {
    embed.deployments = true;
  } else if (name == "readiness") {
    embed.readiness = true;
  } else if (name == "lastTaskFailure") {
    embed.last_task_failure = true;
  } else if (name == "failures") {
    embed.tasks = embed.last_task_failure = embed.deployments = true;
  } else if (name == "taskStats") {
    embed.task_stats = true;
  }
}

bool is_app_name(std::string_view name) {
  return name == "tasks" || name == "counts" || name == "deployments" || name == "readiness" ||
         name == "lastTaskFailure" || name == "failures" || name == "taskStats";
}

}  // namespace

std::string_view embed_name(std::string_view value) {
  for (std::string_view prefix : {"group.apps.", "apps.", "app."}) {
    if (value.substr(0, prefix.size()) == prefix) return value.substr(prefix.size());
  }
  return value;
}

AppEmbed resolve_app_embed(const std::vector<std::string>& values) {
  AppEmbed embed;
  for (const std::string& value : values) apply_app_name(embed_name(value), embed);
  return embed;
}

GroupEmbed resolve_group_embed(const std::vector<std::string>& values) {
  if (values.empty()) return GroupEmbed{};
  GroupEmbed embed{false, false, false, {}};
  for (const std::string& value : values) {
    if (value == "group.groups") {
      embed.groups = true;
    } else if (value == "group.apps") {
      embed.apps = true;
    } else if (value == "group.pods") {
      embed.pods = true;
    } else if (std::string_view name = embed_name(value); name != value && is_app_name(name)) {
      embed.apps = true;
      apply_app_name(name, embed.app);
    }
  }
  // Only unknown names: as if none were given.
  return embed == GroupEmbed{false, false, false, {}} ? GroupEmbed{} : embed;
}

}  // namespace berth::marathon
