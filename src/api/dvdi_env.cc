// DVDI_VOLUME_* variables to TaskVolumes, with the module's own rules and defaults.
#include "api/dvdi_env.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "common/strings.h"

namespace berth {
namespace {

constexpr std::string_view kPrefix = "DVDI_VOLUME_";
constexpr std::size_t kSlots = 10;
// Characters the module refused in names, drivers and options because it built a shell
// command from them; Berth builds none, but tasks written for it never used them either, and
// refusing them keeps a malicious value from reaching any log line or tool as something else.
using namespace std::string_view_literals;
constexpr std::string_view kForbidden = "%/:;<>|`$'?^& {\"}[]\n\t\v\b\r\\\0"sv;

enum class Field { kName, kDriver, kOpts, kContainerPath, kExplicitCreate, kDvdcli };

struct FieldName {
  std::string_view text;
  Field field;
};
// Longest first, so that NAME is not taken for the start of something else.
constexpr std::array<FieldName, 6> kFields = {{{"CONTAINERPATH", Field::kContainerPath},
                                               {"EXPLICITCREATE", Field::kExplicitCreate},
                                               {"DRIVER", Field::kDriver},
                                               {"DVDCLI", Field::kDvdcli},
                                               {"NAME", Field::kName},
                                               {"OPTS", Field::kOpts}}};

struct Slot {
  std::optional<std::string> name, driver, opts, container_path, explicit_create;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return text;
}

Status check_characters(const std::string& variable, const std::string& value) {
  if (value.find_first_of(kForbidden) != std::string::npos) {
    return invalid_argument(variable +
                            " contains a character DVDI does not allow (one of % / : "
                            "; < > | ` $ ' ? ^ & { } [ ] \" \\, a space or a control "
                            "character)");
  }
  return {};
}

// The slot a variable's suffix names: "" and "0" are 0, "1".."9" themselves.
Result<std::size_t> slot_of(const std::string& variable, std::string_view suffix) {
  if (suffix.empty()) return std::size_t{0};
  if (suffix.size() == 1 && suffix[0] >= '0' && suffix[0] <= '9') {
    return static_cast<std::size_t>(suffix[0] - '0');
  }
  return invalid_argument(variable + ": the suffix of a DVDI variable is one digit 0-9");
}

// "a/b/../c" or "x/./y" could leave the path the operator meant; refuse rather than guess.
bool has_dot_segment(std::string_view path) {
  for (auto piece : split(path, '/')) {
    if (piece == "." || piece == "..") return true;
  }
  return false;
}

Status apply_options(const std::string& variable, const std::string& text, VolumeSpec& spec) {
  for (auto piece : split(text, ',')) {
    if (trim(piece).empty()) continue;  // "a=1,,b=2" and a trailing comma
    auto eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return invalid_argument(variable + ": option '" + std::string(piece) + "' is not key=value");
    }
    std::string key(trim(piece.substr(0, eq)));
    // The whole rest: dvdcli cut values at a second '=', which lost data silently.
    std::string value(trim(piece.substr(eq + 1)));
    if (lower(key) == "size") {
      std::int64_t gib = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), gib);
      if (ec != std::errc() || end != value.data() + value.size() || gib <= 0 || gib > 64 * 1024) {
        return invalid_argument(variable + ": size '" + value +
                                "' is not a whole number of GiB between 1 and 65536");
      }
      spec.size_mib = gib * 1024;
    } else if (lower(key) == "newfstype") {
      if (value.empty()) return invalid_argument(variable + ": newfstype is empty");
      spec.fs_type = lower(value);
    }
    spec.options[key] = value;
  }
  return {};
}

Result<TaskVolume> volume_of(std::size_t index, const Slot& slot, const DvdiDefaults& defaults) {
  const std::string suffix = index == 0 ? "" : std::to_string(index);
  const std::string name_var = std::string(kPrefix) + "NAME" + suffix;
  TaskVolume volume;
  VolumeSpec& spec = volume.volume;
  spec.external = true;
  // The module identified volumes by lower(driver), lower(name); lower-casing keeps that
  // identity and meets Berth's lower-case naming rule.
  spec.name = lower(*slot.name);
  if (auto valid = validate_volume_name(spec.name); !valid.ok()) {
    return valid.error().context(name_var);
  }
  spec.driver = lower(slot.driver.value_or(defaults.driver));
  if (spec.driver.empty()) {
    return invalid_argument(std::string(kPrefix) + "DRIVER" + suffix + " is empty");
  }
  if (slot.opts) {
    BERTH_RETURN_IF_ERROR(apply_options(std::string(kPrefix) + "OPTS" + suffix, *slot.opts, spec));
  }
  if (slot.explicit_create && lower(*slot.explicit_create) == "true") {
    spec.options["dvdi/explicitCreate"] = "true";
  }
  if (slot.container_path && !slot.container_path->empty()) {
    const std::string var = std::string(kPrefix) + "CONTAINERPATH" + suffix;
    const std::string& path = *slot.container_path;
    if (!path.starts_with("/")) return invalid_argument(var + " '" + path + "' is not absolute");
    if (path == "/") return invalid_argument(var + " may not be /");
    if (has_dot_segment(path)) {
      return invalid_argument(var + " '" + path + "' contains . or .. segments");
    }
    if (path.find('\0') != std::string::npos) return invalid_argument(var + " contains NUL");
    volume.container_path = path;
  } else {
    volume.container_path = defaults.mount_root + "/" + spec.name;
  }
  return volume;
}

}  // namespace

Result<std::vector<TaskVolume>> task_volumes_from_dvdi_env(
    const std::map<std::string, std::string>& environment, const DvdiDefaults& defaults) {
  std::array<Slot, kSlots> slots;
  for (const auto& [variable, value] : environment) {
    if (!variable.starts_with(kPrefix)) continue;
    std::string_view rest = std::string_view(variable).substr(kPrefix.size());
    const FieldName* field = nullptr;
    for (const auto& candidate : kFields) {
      if (rest.starts_with(candidate.text)) {
        field = &candidate;
        break;
      }
    }
    if (field == nullptr) continue;  // not one of the module's variables
    auto index = slot_of(variable, rest.substr(field->text.size()));
    if (!index.ok()) return index.error();
    Slot& slot = slots[*index];
    switch (field->field) {
      case Field::kName:
        BERTH_RETURN_IF_ERROR(check_characters(variable, value));
        slot.name = value;
        break;
      case Field::kDriver:
        BERTH_RETURN_IF_ERROR(check_characters(variable, value));
        slot.driver = value;
        break;
      case Field::kOpts:
        BERTH_RETURN_IF_ERROR(check_characters(variable, value));
        slot.opts = value;
        break;
      case Field::kExplicitCreate:
        BERTH_RETURN_IF_ERROR(check_characters(variable, value));
        slot.explicit_create = value;
        break;
      case Field::kContainerPath:
        slot.container_path = value;
        break;
      case Field::kDvdcli:
        break;  // Berth runs no dvdcli
    }
  }

  std::vector<TaskVolume> volumes;
  std::vector<bool> had_path;
  for (std::size_t i = 0; i < kSlots; ++i) {
    const Slot& slot = slots[i];
    const std::string suffix = i == 0 ? "" : std::to_string(i);
    if (!slot.name) {
      if (slot.driver || slot.opts || slot.container_path || slot.explicit_create) {
        return invalid_argument("DVDI variables with suffix '" + suffix + "' but no " +
                                std::string(kPrefix) + "NAME" + suffix);
      }
      continue;
    }
    auto volume = volume_of(i, slot, defaults);
    if (!volume.ok()) return volume.error();
    const bool explicit_path = slot.container_path && !slot.container_path->empty();
    bool duplicate = false;
    for (std::size_t j = 0; j < volumes.size(); ++j) {
      const bool same = volumes[j].volume.name == volume->volume.name &&
                        volumes[j].volume.driver == volume->volume.driver;
      if (same) {
        if (explicit_path || had_path[j]) {
          return invalid_argument(std::string(kPrefix) + "NAME" + suffix + ": volume '" +
                                  volume->volume.name +
                                  "' is named twice and has a container path");
        }
        duplicate = true;
        break;
      }
      if (volumes[j].container_path == volume->container_path) {
        return invalid_argument(std::string(kPrefix) + "CONTAINERPATH" + suffix + ": '" +
                                volume->container_path + "' is used by two volumes");
      }
    }
    if (duplicate) continue;
    volumes.push_back(std::move(volume).value());
    had_path.push_back(explicit_path);
  }
  return volumes;
}

}  // namespace berth
