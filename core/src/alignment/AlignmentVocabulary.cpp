#include "AlignmentVocabulary.h"

#include <cctype>

namespace moodsteer {

std::vector<std::string> AlignmentVocabulary::split(const std::string& text) {
    std::vector<std::string> out;
    std::string word;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '&') {
            word += static_cast<char>(std::tolower(c));
        } else if (!word.empty()) {
            out.push_back(word);
            word.clear();
        }
    }
    if (!word.empty()) out.push_back(word);
    return out;
}

AlignmentVocabulary AlignmentVocabulary::build(const std::vector<std::string>& texts,
                                               int minCount) {
    std::map<std::string, int> counts;
    for (const auto& t : texts)
        for (const auto& w : split(t))
            ++counts[w];
    std::vector<std::string> words;
    for (const auto& [w, n] : counts)
        if (n >= minCount) words.push_back(w);
    return AlignmentVocabulary(words);
}

AlignmentVocabulary::AlignmentVocabulary(const std::vector<std::string>& words) {
    entries_ = {"<pad>", "<unk>"};
    for (const auto& w : words)
        if (w != "<pad>" && w != "<unk>" && !index_.count(w)) {
            index_[w] = static_cast<std::int64_t>(entries_.size());
            entries_.push_back(w);
        }
}

std::vector<std::int64_t> AlignmentVocabulary::ids(const std::string& text) const {
    std::vector<std::int64_t> out;
    for (const auto& w : split(text)) {
        const auto it = index_.find(w);
        out.push_back(it == index_.end() ? 1 : it->second);
    }
    if (out.empty()) out.push_back(1);
    return out;
}

} // namespace moodsteer
