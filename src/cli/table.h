// Table: the human output of every `ls`: a header row and rows in aligned columns, two spaces
// apart, no trailing blanks, so that `awk '{print $1}'` and eyes both read it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace berth {

class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // A row shorter than the header is padded with "-".
  void add(std::vector<std::string> row);
  void print(std::ostream& out) const;
  std::size_t rows() const { return rows_.size() - 1; }

 private:
  std::vector<std::vector<std::string>> rows_;  // the header first
};

// "-" for an empty cell, so that columns split on blanks stay aligned.
std::string cell(const std::string& text);
// `text` cut to `width` characters, ending in "..." when cut.
std::string truncate(const std::string& text, std::size_t width);

}  // namespace berth
