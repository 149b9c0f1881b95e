// Conversions between Resources/Attributes and Mesos-shaped JSON.
#include "api/resources_json.h"

#include <nlohmann/json.hpp>

namespace berth {

nlohmann::json resources_to_json(const Resources& resources) {
  nlohmann::json json = nlohmann::json::object();
  for (const char* name : {"cpus", "mem", "disk", "gpus"}) json[name] = resources.scalar(name);
  for (const auto& [name, value] : resources.scalars()) json[name] = value;
  json["ports"] = resources.ports().to_string();
  return json;
}

Result<Resources> resources_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return invalid_argument("resources: expected an object");
  Resources resources;
  for (const auto& [name, value] : json.items()) {
    if (name == "ports") {
      if (!value.is_string()) return invalid_argument("resources/ports: expected a string");
      auto ranges = Ranges::parse(value.get<std::string>());
      if (!ranges.ok()) return ranges.error().context("resources/ports");
      resources.set_ports(*ranges);
    } else if (value.is_number()) {
      if (value.get<double>() != 0) resources.set_scalar(name, value.get<double>());
    } else {
      return invalid_argument("resources/" + name + ": expected a number");
    }
  }
  return resources;
}

nlohmann::json attributes_to_json(const std::vector<Attribute>& attributes) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& attribute : attributes) {
    if (attribute.type == Attribute::Type::kScalar) {
      json[attribute.name] = attribute.scalar;
    } else {
      json[attribute.name] = attribute.text;
    }
  }
  return json;
}

Result<std::vector<Attribute>> attributes_from_text_json(const nlohmann::json& json) {
  if (!json.is_string()) return invalid_argument("attributes: expected a string");
  return parse_attributes(json.get<std::string>());
}

}  // namespace berth
