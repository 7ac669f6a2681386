// The alignment model's word vocabulary: prompts are lower-cased and split into words (runs of
// letters, digits and '&'); id 0 is padding, id 1 an unknown word. Built from the training
// texts and stored in the model file's metadata, so a model reads text exactly as trained.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace moodsteer {

class AlignmentVocabulary {
  public:
    static std::vector<std::string> split(const std::string& text);
    /// Every word of `texts` that occurs at least `minCount` times, sorted.
    static AlignmentVocabulary build(const std::vector<std::string>& texts, int minCount = 1);
    /// `words` without the two reserved entries (they are added in front).
    explicit AlignmentVocabulary(const std::vector<std::string>& words = {});

    /// Ids of the text's words (unknown words -> 1); an empty text gives {1}, so that every
    /// text has at least one token.
    std::vector<std::int64_t> ids(const std::string& text) const;
    /// All entries, "<pad>" and "<unk>" first.
    const std::vector<std::string>& entries() const { return entries_; }
    std::int64_t size() const { return static_cast<std::int64_t>(entries_.size()); }

  private:
    std::vector<std::string> entries_;
    std::map<std::string, std::int64_t> index_;
};

} // namespace moodsteer
