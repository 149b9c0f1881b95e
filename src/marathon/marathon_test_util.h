// Helpers for the marathon tests: looking into errors and output JSON.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace berth::marathon::testing {

// The messages reported at `path` (empty when none).
inline std::vector<std::string> errors_at(const Error& error, const std::string& path) {
  for (const FieldError& field : error.fields) {
    if (field.path == path) return field.errors;
  }
  return {};
}

inline std::string describe(const Error& error) {
  std::string text = error.message;
  if (!error.details_text.empty()) text += " (" + error.details_text + ")";
  for (const FieldError& field : error.fields) {
    text += "\n  " + field.path + ":";
    for (const std::string& message : field.errors) text += " [" + message + "]";
  }
  return text;
}

// Whether `error` reports `message` at `path`.
inline ::testing::AssertionResult HasViolation(const Error& error, const std::string& path,
                                               const std::string& message) {
  for (const std::string& reported : errors_at(error, path)) {
    if (reported == message) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "no '" << message << "' at " << path << " in: " << describe(error);
}

}  // namespace berth::marathon::testing
