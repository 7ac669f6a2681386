#include "core/session/MoodWords.h"

#include "core/emotion/EmotionLexicon.h"
#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"

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
    if (!recipe.emotionPath.empty()) {
        const auto [v, a] = recipe.emotionPath.at(targetSeconds);
        return withMoodWord(text, v, a);
    }
    if (recipe.valence && recipe.arousal)
        return withMoodWord(text, *recipe.valence, *recipe.arousal);
    throw EngineError("the prompt's " + std::string(kMoodWordPlaceholder) +
                      " names the mood of the valence/arousal target: give --valence/--arousal "
                      "or an emotion path");
}

} // namespace moodsteer
