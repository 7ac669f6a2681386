#include "PromptWriter.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace moodsteer::corpus {

namespace {

std::string article(const std::string& word) {
    return !word.empty() && std::string("aeiou").find(word[0]) != std::string::npos ? "an" : "a";
}

std::string tempoWord(double bpm, Rng& rng) {
    static const std::vector<std::string> slow{"slow", "unhurried", "gentle-paced", "slow-moving"};
    static const std::vector<std::string> mid{"mid-tempo", "moderate", "walking-pace", "steady"};
    static const std::vector<std::string> up{"upbeat", "lively", "driving", "brisk"};
    static const std::vector<std::string> fast{"fast", "energetic", "frantic", "high-tempo"};
    return rng.pick(bpm < 80 ? slow : bpm < 110 ? mid : bpm < 150 ? up : fast);
}

std::string genreWord(const std::string& genre, Rng& rng) {
    static const std::vector<std::string> classical{"classical", "classical", "chamber",
                                                    "romantic-era classical"};
    static const std::vector<std::string> electronic{"electronic", "electronic", "synth-driven",
                                                     "electronic dance"};
    static const std::vector<std::string> jazz{"jazz", "jazz", "swing jazz", "small-combo jazz"};
    static const std::vector<std::string> rock{"rock", "rock", "guitar rock", "hard-edged rock"};
    if (genre == "classical") return rng.pick(classical);
    if (genre == "electronic") return rng.pick(electronic);
    if (genre == "jazz") return rng.pick(jazz);
    return rng.pick(rock);
}

std::string join(const std::vector<std::string>& items) {
    if (items.empty()) return "";
    if (items.size() == 1) return items[0];
    std::string s;
    for (std::size_t i = 0; i + 1 < items.size(); ++i)
        s += (i ? ", " : "") + items[i];
    return s + " and " + items.back();
}

} // namespace

std::vector<EmotionLexicon::Word> promptWords(const EmotionLexicon& lexicon, double valence,
                                              double arousal, std::size_t n) {
    // Mood words read well in a music prompt; their valence and arousal come from the lexicon
    // (the Glasgow Norms), so "near (v, a)" keeps its meaning.
    return lexicon.nearestMood(valence, arousal, n);
}

std::string writePrompt(const Piece& piece, const std::vector<EmotionLexicon::Word>& words,
                        Rng& rng) {
    const std::string w1 =
        words.empty() ? "calm"
                      : words[static_cast<std::size_t>(rng.below(
                                  static_cast<int>(std::min<std::size_t>(words.size(), 4))))]
                            .word;
    std::string w2 = w1;
    for (int tries = 0; tries < 8 && w2 == w1 && words.size() > 1; ++tries)
        w2 = words[static_cast<std::size_t>(rng.below(static_cast<int>(words.size())))].word;
    const std::string genre = genreWord(piece.label.genre, rng);
    const std::string tempo = tempoWord(piece.label.tempoBpm, rng);
    std::vector<std::string> inst = piece.instruments;
    // Mention two or three instruments, in a varying order.
    for (std::size_t i = inst.size(); i > 1; --i)
        std::swap(inst[i - 1], inst[static_cast<std::size_t>(rng.below(static_cast<int>(i)))]);
    inst.resize(std::min<std::size_t>(inst.size(), 2 + rng.below(2)));
    const std::string instruments = join(inst);
    const std::string key = piece.label.key + " " + piece.label.mode;

    // Ten templates: long descriptive ones, and short ones like what people type ("sad jazz",
    // "rock music") so that a short prompt is not out of distribution for the text encoder.
    switch (rng.below(10)) {
    case 0:
        return article(w1) + " " + w1 + " " + genre + " piece with " + instruments;
    case 1:
        return tempo + " " + genre + " music that feels " + w1 + " and " + w2;
    case 2:
        return genre + " track, " + tempo + ", " + instruments + ", mood: " + w1;
    case 3:
        return article(w1) + " " + w1 + ", " + w2 + " " + genre + " tune in " + key;
    case 4:
        return instruments + " playing " + article(tempo) + " " + tempo + " " + genre + " piece, " +
               w1;
    case 5:
        return "Generate " + article(w1) + " " + w1 + " " + genre + " music with " + instruments;
    case 6:
        return genre + " in " + key + " at " +
               std::to_string(static_cast<int>(piece.label.tempoBpm + 0.5)) + " bpm, " + w1 +
               " and " + w2;
    case 7:
        return "music for a " + w1 + " moment: " + tempo + " " + genre + " with " + instruments;
    case 8:
        return w1 + " " + genre;
    default:
        return genre + " music";
    }
}

} // namespace moodsteer::corpus
