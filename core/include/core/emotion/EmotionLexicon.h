// Emotion words with their valence and arousal (Glasgow Norms, 1-9 scale): the studio's emotion
// pad labels, the text baseline's "Generate a [word] music." and the corpus prompts all pick
// words near a (valence, arousal) point from here.
#pragma once

#include <cstddef>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

class LexiconError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class EmotionLexicon {
  public:
    struct Word {
        std::string word;
        double valence = 5.0;
        double arousal = 5.0;
    };

    /// Reads a CSV with a header naming at least the columns word, valence, arousal (any
    /// order, extra columns ignored). Throws LexiconError naming the file (and line) when it
    /// is missing, has no such columns, a value is not a number in [1, 9], or it has no rows.
    static EmotionLexicon load(const std::string& csvPath);
    /// resources/va_words/va_words.csv (via resourcePath()), loaded once; thread-safe.
    static const EmotionLexicon& builtin();

    /// The n words closest to (v, a) in Euclidean distance on the 1-9 plane, closest first
    /// (ties broken alphabetically, so the result is deterministic).
    std::vector<Word> nearest(double valence, double arousal, std::size_t n) const;
    /// As nearest(), over the mood vocabulary only (words that describe music's emotion:
    /// "calm", "tender", "furious", ...); the full list also holds words such as "vomit" or
    /// "chipmunk". Falls back to nearest() for a lexicon without any of them.
    std::vector<Word> nearestMood(double valence, double arousal, std::size_t n) const;
    /// The ~100 mood words (valence and arousal come from the lexicon, not from this list).
    static const std::set<std::string>& moodVocabulary();
    const std::vector<Word>& words() const { return words_; }

  private:
    static std::vector<Word> nearestOf(const std::vector<Word>& words, double valence,
                                       double arousal, std::size_t n);

    std::vector<Word> words_;
    std::vector<Word> moods_; ///< the words of moodVocabulary(), picked once in load()
};

} // namespace moodsteer
