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

#include <optional>
#include <string>

namespace moodsteer {

struct Recipe;
class VaPath;

inline constexpr const char* kMoodWordPlaceholder = "{word}";

/// Whether `prompt` holds the placeholder.
bool hasMoodWord(const std::string& prompt);
/// `prompt` with every "{word}" replaced by the mood word nearest (valence, arousal).
std::string withMoodWord(const std::string& prompt, double valence, double arousal);
/// The text prompt in force at `seconds` (Recipe::promptAt) with its mood word for the
/// recipe's target at `targetSeconds`. Throws EngineError when the prompt has "{word}" but the
/// recipe has no valence/arousal target.
std::string promptWithMood(const Recipe& recipe, double seconds, double targetSeconds);

/// A mood word written into a session's prompt that contradicts its path: the model hears
/// both, and the text pins the mood the path asks to move ("calm ambient piece" on a calming
/// path that starts agitated: the opening comes out calm). Measured in docs/sessions.md.
struct MoodConflict {
    std::string word;
    double wordValence = 5, wordArousal = 5; ///< the word's rating in the emotion lexicon
    double seconds = 0;                      ///< where the path is farthest from the word
    double valence = 5, arousal = 5;         ///< the path's target there
    /// One line for the user: what contradicts what, and what to write instead.
    std::string describe() const;
};

/// The mood word of `prompt` (a word of the lexicon's mood vocabulary, any case; "{word}" is
/// not one) whose rating is farthest from `path` at one of its keyframes, when that distance
/// reaches `threshold` on valence or arousal (rating units, 1-9); nullopt otherwise.
std::optional<MoodConflict> moodConflict(const std::string& prompt, const VaPath& path,
                                         double threshold = 3.0);

} // namespace moodsteer
