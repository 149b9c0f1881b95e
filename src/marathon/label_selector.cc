// Parsing and matching of Marathon's label selectors.
#include "marathon/label_selector.h"

#include <algorithm>
#include <cctype>

namespace berth::marathon {

namespace {

// A cursor over the selector text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skip_spaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool done() {
    skip_spaces();
    return pos_ >= text_.size();
  }
  bool consume(std::string_view token) {
    skip_spaces();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // `in`/`notin` as a whole word followed by '(' (after spaces).
  bool consume_word(std::string_view word) {
    skip_spaces();
    if (text_.substr(pos_, word.size()) != word) return false;
    std::size_t after = pos_ + word.size();
    while (after < text_.size() && std::isspace(static_cast<unsigned char>(text_[after]))) ++after;
    if (after >= text_.size() || text_[after] != '(') return false;
    pos_ = after;
    last_word_ = word;
    return true;
  }
  std::string_view last_word() const { return last_word_; }
  // A key or value: characters other than spaces, ',', '!', '=', '(', ')', with '\' escapes.
  std::string word() {
    skip_spaces();
    std::string result;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        result += text_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '!' || c == '=' ||
          c == '(' || c == ')') {
        break;
      }
      result += c;
      ++pos_;
    }
    return result;
  }
  std::size_t position() const { return pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::string_view last_word_;
};

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  auto fail = [&](const std::string& reason) -> Error {
    return invalid_argument("Can not parse label selector " + std::string(text) +
                            ". Reason: " + reason);
  };
  LabelSelector selector;
  Scanner scanner(text);
  if (scanner.done()) return selector;
  while (true) {
    Term term;
    term.key = scanner.word();
    if (term.key.empty()) {
      return fail("expected a label at position " + std::to_string(scanner.position()));
    }
    if (scanner.consume("==")) {
      term.kind = Term::Kind::kEquals;
      term.values.push_back(scanner.word());
    } else if (scanner.consume("!=")) {
      term.kind = Term::Kind::kNotEquals;
      term.values.push_back(scanner.word());
    } else if (scanner.consume_word("in") || scanner.consume_word("notin")) {
      term.kind = scanner.last_word() == "in" ? Term::Kind::kIn : Term::Kind::kNotIn;
      scanner.consume("(");
      while (true) {
        std::string value = scanner.word();
        if (value.empty()) {
          return fail("expected a value at position " + std::to_string(scanner.position()));
        }
        term.values.push_back(std::move(value));
        if (scanner.consume(")")) break;
        if (!scanner.consume(",")) {
          return fail("expected ',' or ')' at position " + std::to_string(scanner.position()));
        }
      }
    }
    selector.terms_.push_back(std::move(term));
    if (scanner.done()) break;
    if (!scanner.consume(",")) {
      return fail("expected ',' at position " + std::to_string(scanner.position()));
    }
  }
  return selector;
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  return std::all_of(terms_.begin(), terms_.end(), [&](const Term& term) {
    auto it = labels.find(term.key);
    bool present = it != labels.end();
    bool listed = present && std::find(term.values.begin(), term.values.end(), it->second) !=
                                 term.values.end();
    switch (term.kind) {
      case Term::Kind::kExists:
        return present;
      case Term::Kind::kEquals:
      case Term::Kind::kIn:
        return listed;
      case Term::Kind::kNotEquals:
      case Term::Kind::kNotIn:
        return !listed;
    }
    return false;
  });
}

}  // namespace berth::marathon
