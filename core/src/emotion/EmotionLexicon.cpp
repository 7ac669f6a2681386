#include "core/emotion/EmotionLexicon.h"

#include "core/io/Resources.h"

#include "io/CsvTable.h"

#include <algorithm>
#include <cmath>

namespace moodsteer {

namespace {

double parseRating(const std::string& text, const std::string& path, int line, const char* column) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(v) || v < 1.0 || v > 9.0)
        throw LexiconError(path + ":" + std::to_string(line) + ": " + column + " '" + text +
                           "' is not a number in [1, 9]");
    return v;
}

} // namespace

EmotionLexicon EmotionLexicon::load(const std::string& csvPath) {
    std::string text;
    try {
        text = readCsvFile(csvPath);
    } catch (const std::runtime_error& e) {
        throw LexiconError(std::string("emotion word list: ") + e.what());
    }
    std::vector<CsvRecord> records;
    try {
        records = parseCsvRecords(text, csvPath);
    } catch (const std::runtime_error& e) {
        throw LexiconError("emotion word list " + std::string(e.what()));
    }
    if (records.empty())
        throw LexiconError("emotion word list " + csvPath + ": empty file (no header)");
    const auto& header = records.front().fields;
    auto column = [&](const char* name) {
        const auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end())
            throw LexiconError("emotion word list " + csvPath + ": header has no '" + name +
                               "' column");
        return static_cast<std::size_t>(it - header.begin());
    };
    const std::size_t wi = column("word"), vi = column("valence"), ai = column("arousal");
    const std::size_t need = std::max({wi, vi, ai}) + 1;

    EmotionLexicon lex;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const auto& f = records[r].fields;
        const int lineNo = records[r].line;
        if (f.size() < need)
            throw LexiconError(csvPath + ":" + std::to_string(lineNo) + ": expected at least " +
                               std::to_string(need) + " fields, got " + std::to_string(f.size()));
        if (f[wi].empty())
            throw LexiconError(csvPath + ":" + std::to_string(lineNo) + ": empty word");
        lex.words_.push_back({f[wi], parseRating(f[vi], csvPath, lineNo, "valence"),
                              parseRating(f[ai], csvPath, lineNo, "arousal")});
    }
    if (lex.words_.empty()) throw LexiconError("emotion word list " + csvPath + ": no words");
    for (const auto& w : lex.words_)
        if (moodVocabulary().count(w.word)) lex.moods_.push_back(w);
    return lex;
}

const EmotionLexicon& EmotionLexicon::builtin() {
    static const EmotionLexicon lex = load(resourcePath("va_words/va_words.csv"));
    return lex;
}

std::vector<EmotionLexicon::Word> EmotionLexicon::nearestOf(const std::vector<Word>& words,
                                                            double valence, double arousal,
                                                            std::size_t n) {
    std::vector<std::pair<double, const Word*>> scored;
    scored.reserve(words.size());
    for (const auto& w : words) {
        const double dv = w.valence - valence, da = w.arousal - arousal;
        scored.emplace_back(dv * dv + da * da, &w);
    }
    n = std::min(n, scored.size());
    auto less = [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first < y.first : x.second->word < y.second->word;
    };
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                      less);
    std::vector<Word> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(*scored[i].second);
    return out;
}

std::vector<EmotionLexicon::Word> EmotionLexicon::nearest(double valence, double arousal,
                                                          std::size_t n) const {
    return nearestOf(words_, valence, arousal, n);
}

const std::set<std::string>& EmotionLexicon::moodVocabulary() {
    static const std::set<std::string> words{
        "happy",     "sad",        "calm",     "angry",    "peaceful",   "joyful",      "gloomy",
        "tense",     "excited",    "cheerful", "serene",   "anxious",    "aggressive",  "tender",
        "bright",    "dark",       "lonely",   "hopeful",  "playful",    "furious",     "gentle",
        "uplifting", "triumphant", "tranquil", "frantic",  "fierce",     "soothing",    "warm",
        "cold",      "eerie",      "romantic", "lively",   "wistful",    "heavy",       "light",
        "intense",   "quiet",      "soft",     "loud",     "wild",       "sweet",       "bitter",
        "hostile",   "violent",    "fearful",  "scary",    "nervous",    "depressed",   "miserable",
        "content",   "delighted",  "elated",   "ecstatic", "passionate", "sentimental", "tragic",
        "grim",      "bleak",      "desolate", "weary",    "tired",      "sleepy",      "lazy",
        "sluggish",  "slow",       "dull",     "upset",    "hurt",       "grief",       "sorrow",
        "despair",   "rage",       "panic",    "terror",   "dread",      "fear",        "joy",
        "love",      "hope",       "peace",    "comfort",  "lovely",     "beautiful",   "glorious",
        "proud",     "confident",  "brave",    "bold",     "moody",      "distressed",  "funny",
        "jolly",     "merry",      "festive",  "sunny",    "glad",       "satisfied"};
    return words;
}

std::vector<EmotionLexicon::Word> EmotionLexicon::nearestMood(double valence, double arousal,
                                                              std::size_t n) const {
    return nearestOf(moods_.empty() ? words_ : moods_, valence, arousal, n);
}

} // namespace moodsteer
