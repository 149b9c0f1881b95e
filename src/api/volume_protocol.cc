// JSON of the volume structs. Everything read here ends up as a path component or a mkfs
// argument on some node, so the readers check names and sizes, not just types.
#include "api/volume_protocol.h"

#include <nlohmann/json.hpp>

#include "api/volume_json.h"

namespace berth {
namespace {

using nlohmann::json;

// 64 TiB: larger is a typo, not a volume (and would overflow byte counts in some tools).
constexpr std::int64_t kMaxSizeMib = std::int64_t{64} * 1024 * 1024;
constexpr std::size_t kMaxNameLength = 128;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Driver and filesystem names are looked up, never used as paths, but they appear in logs and
// commands: the same alphabet as volume names keeps them harmless.
Status validate_word(std::string_view what, std::string_view word, bool may_be_empty) {
  if (word.empty()) {
    if (may_be_empty) return {};
    return invalid_argument(std::string(what) + " is empty");
  }
  for (char c : word) {
    if (!name_char(c)) {
      return invalid_argument(std::string(what) + " '" + std::string(word) +
                              "' may contain only a-z, 0-9, '.', '_' and '-'");
    }
  }
  return {};
}

template <typename T, typename Read>
Result<T> parse_text(std::string_view text, const char* what, Read read) {
  try {
    return read(json::parse(text));
  } catch (const json::exception& e) {
    return invalid_argument(std::string("invalid ") + what + ": " + e.what());
  }
}

}  // namespace

Status validate_volume_name(std::string_view name) {
  if (name.empty()) return invalid_argument("volume name is empty");
  if (name.size() > kMaxNameLength) {
    return invalid_argument("volume name is longer than " + std::to_string(kMaxNameLength) +
                            " characters");
  }
  if (name == "." || name == "..") return invalid_argument("volume name may not be . or ..");
  if (name.front() == '.' || name.front() == '-' || name.front() == '_') {
    return invalid_argument("volume name '" + std::string(name) +
                            "' must start with a letter or a digit");
  }
  for (char c : name) {
    if (!name_char(c)) {
      return invalid_argument("volume name '" + std::string(name) +
                              "' may contain only a-z, 0-9, '.', '_' and '-'");
    }
  }
  return {};
}

json volume_spec_to_json(const VolumeSpec& spec) {
  return json{{"name", spec.name},        {"driver", spec.driver},   {"size_mib", spec.size_mib},
              {"fs_type", spec.fs_type},  {"options", spec.options}, {"epoch", spec.epoch},
              {"external", spec.external}};
}

Result<VolumeSpec> volume_spec_from_json(const json& doc) {
  VolumeSpec spec;
  spec.name = doc.at("name").get<std::string>();
  if (auto valid = validate_volume_name(spec.name); !valid.ok()) return valid.error();
  spec.driver = doc.at("driver").get<std::string>();
  if (auto valid = validate_word("volume driver", spec.driver, false); !valid.ok()) {
    return valid.error().context("volume " + spec.name);
  }
  spec.size_mib = doc.value("size_mib", std::int64_t{0});
  if (spec.size_mib < 0 || spec.size_mib > kMaxSizeMib) {
    return invalid_argument("volume " + spec.name + ": size_mib " + std::to_string(spec.size_mib) +
                            " is not between 0 and " + std::to_string(kMaxSizeMib));
  }
  spec.fs_type = doc.value("fs_type", spec.fs_type);
  if (auto valid = validate_word("filesystem", spec.fs_type, false); !valid.ok()) {
    return valid.error().context("volume " + spec.name);
  }
  spec.options = doc.value("options", std::map<std::string, std::string>{});
  spec.epoch = doc.value("epoch", std::uint64_t{0});
  spec.external = doc.value("external", true);
  return spec;
}

json task_volume_to_json(const TaskVolume& volume) {
  return json{{"volume", volume_spec_to_json(volume.volume)},
              {"container_path", volume.container_path},
              {"read_only", volume.read_only}};
}

Result<TaskVolume> task_volume_from_json(const json& doc) {
  TaskVolume volume;
  auto spec = volume_spec_from_json(doc.at("volume"));
  if (!spec.ok()) return spec.error();
  volume.volume = std::move(spec).value();
  volume.container_path = doc.at("container_path").get<std::string>();
  if (volume.container_path.empty()) {
    return invalid_argument("volume " + volume.volume.name + ": container_path is empty");
  }
  if (volume.container_path.find('\0') != std::string::npos) {
    return invalid_argument("volume " + volume.volume.name + ": container_path contains NUL");
  }
  volume.read_only = doc.value("read_only", false);
  return volume;
}

json mounted_volume_to_json(const MountedVolume& volume) {
  return json{{"name", volume.name}, {"epoch", volume.epoch}, {"task_ids", volume.task_ids}};
}

Result<MountedVolume> mounted_volume_from_json(const json& doc) {
  MountedVolume volume;
  volume.name = doc.at("name").get<std::string>();
  if (auto valid = validate_volume_name(volume.name); !valid.ok()) return valid.error();
  volume.epoch = doc.value("epoch", std::uint64_t{0});
  volume.task_ids = doc.value("task_ids", std::vector<std::string>{});
  return volume;
}

std::string to_json(const TaskVolume& volume) { return task_volume_to_json(volume).dump(); }

Result<TaskVolume> parse_task_volume(std::string_view text) {
  return parse_text<TaskVolume>(text, "task volume", task_volume_from_json);
}

std::string to_json(const MountedVolume& volume) { return mounted_volume_to_json(volume).dump(); }

Result<MountedVolume> parse_mounted_volume(std::string_view text) {
  return parse_text<MountedVolume>(text, "mounted volume", mounted_volume_from_json);
}

}  // namespace berth
