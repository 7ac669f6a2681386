// Mood words that follow the emotion target: a prompt may say "{word}" where the mood word
// nearest the valence/arousal target belongs ("{word} piano piece" -> "tense piano piece"),
// chosen from the emotion lexicon's mood vocabulary (EmotionLexicon::nearestMood). A session
// picks the word per window at the target of the window's middle, so the text moves along the
// path with the AV token (the text baseline: the nearest mood word, per window);
// a single clip picks it at the middle of the clip. The recipe keeps "{word}", so the clip
// regenerates exactly.
//
// Threading: free functions; the lexicon is loaded once, thread-safely.
#pragma once

#include <string>

namespace moodsteer {

struct Recipe;

inline constexpr const char* kMoodWordPlaceholder = "{word}";

/// Whether `prompt` holds the placeholder.
bool hasMoodWord(const std::string& prompt);
/// `prompt` with every "{word}" replaced by the mood word nearest (valence, arousal).
std::string withMoodWord(const std::string& prompt, double valence, double arousal);
/// The text prompt in force at `seconds` (Recipe::promptAt) with its mood word for the
/// recipe's target at `targetSeconds`. Throws EngineError when the prompt has "{word}" but the
/// recipe has no valence/arousal target.
std::string promptWithMood(const Recipe& recipe, double seconds, double targetSeconds);

} // namespace moodsteer
