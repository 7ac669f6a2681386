#include "core/session/MoodWords.h"

#include "core/emotion/EmotionLexicon.h"
#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"
#include "core/session/VaPath.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace moodsteer {

bool hasMoodWord(const std::string& prompt) {
    return prompt.find(kMoodWordPlaceholder) != std::string::npos;
}

std::string withMoodWord(const std::string& prompt, double valence, double arousal) {
    if (!hasMoodWord(prompt)) return prompt;
    const std::string word = EmotionLexicon::builtin().nearestMood(valence, arousal, 1).at(0).word;
    const std::string placeholder = kMoodWordPlaceholder;
    std::string out;
    std::size_t from = 0;
    for (std::size_t at = prompt.find(placeholder); at != std::string::npos;
         at = prompt.find(placeholder, from)) {
        out.append(prompt, from, at - from);
        out += word;
        from = at + placeholder.size();
    }
    out.append(prompt, from, std::string::npos);
    return out;
}

std::string promptWithMood(const Recipe& recipe, double seconds, double targetSeconds) {
    const std::string text = recipe.promptAt(seconds);
    if (!hasMoodWord(text)) return text;
    if (const auto va = recipe.emotionAt(targetSeconds))
        return withMoodWord(text, va->first, va->second);
    throw EngineError("the prompt's " + std::string(kMoodWordPlaceholder) +
                      " names the mood of the valence/arousal target: give --valence/--arousal "
                      "or an emotion path");
}

std::string MoodConflict::describe() const {
    char line[320];
    std::snprintf(line, sizeof line,
                  "the prompt's mood word '%s' (valence %.1f, arousal %.1f) contradicts the path "
                  "at %d:%02d (valence %.1f, arousal %.1f): the model hears both, so leave the "
                  "mood to the path or write {word} to follow it",
                  word.c_str(), wordValence, wordArousal, static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60, valence, arousal);
    return line;
}

std::optional<MoodConflict> moodConflict(const std::string& prompt, const VaPath& path,
                                         double threshold) {
    if (path.empty()) return std::nullopt;
    const auto& lexicon = EmotionLexicon::builtin();
    const auto& moods = EmotionLexicon::moodVocabulary();
    std::optional<MoodConflict> worst;
    double worstGap = 0;
    std::string word;
    const auto consider = [&] {
        if (word.empty() || !moods.count(word)) return;
        const auto rated = std::find_if(lexicon.words().begin(), lexicon.words().end(),
                                        [&](const auto& w) { return w.word == word; });
        if (rated == lexicon.words().end()) return;
        for (const auto& key : path.keyframes()) {
            const double gap = std::max(std::fabs(rated->valence - key.valence),
                                        std::fabs(rated->arousal - key.arousal));
            if (gap >= threshold && gap > worstGap) {
                worstGap = gap;
                worst = MoodConflict{word,     rated->valence, rated->arousal,
                                     key.time, key.valence,    key.arousal};
            }
        }
    };
    for (std::size_t i = 0; i <= prompt.size(); ++i) { // "{word}" spells no mood word
        const unsigned char c = i < prompt.size() ? prompt[i] : ' ';
        if (std::isalpha(c)) {
            word += static_cast<char>(std::tolower(c));
        } else {
            consider();
            word.clear();
        }
    }
    return worst;
}

} // namespace moodsteer
