// The procedural composer behind the embedded model's training corpus: writes a multi-track
// piece (harmony, bass, melody, drums, texture) directly as SynthCodec tokens, for a genre and
// a (valence, arousal) target. The emotion -> music mapping and its sources: docs/corpus.md.
#pragma once

#include "core/audio/AudioCodec.h"
#include "core/emotion/EmotionLexicon.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moodsteer {

struct ComposerRequest {
    std::string genre = "classical";
    double valence = 5.0; ///< 1..9
    double arousal = 5.0; ///< 1..9
    double seconds = 10.0;
    std::uint64_t seed = 1;
};

struct PieceLabel {
    std::string genre;
    double valence = 5.0, arousal = 5.0;
    double tempoBpm = 120.0;
    std::string key;  ///< tonic, e.g. "F#"
    std::string mode; ///< "major" or "minor"
    std::uint64_t seed = 0;
};

/// The musical parameters one piece was written with (after the per-piece jitter).
struct MusicalParameters {
    int tempoIndex = 2;        ///< SynthCodec tempo index (frames per 16th = 2 + index)
    double density = 0.5;      ///< 0..1, melodic note density
    int loudness = 4;          ///< 0..7 loudness level
    int drumTier = 1;          ///< 0 light, 1 standard, 2 busy (classical: no drums)
    double articulation = 0.8; ///< sounding fraction of each note's slot (legato = 1)
    bool minor = false;
    double dissonance = 0.2; ///< probability of a dissonant chord substitution
    int registerCenter = 67; ///< melody centre, MIDI
    double contour = 0.0;    ///< -1 falling .. +1 rising melodic drift
    int brightness = 1;      ///< 0..2 filter brightness
};

struct Piece {
    PieceLabel label;
    MusicalParameters params;
    std::vector<std::string> instruments; ///< e.g. {"piano", "upright bass", "drums"}
    std::string prompt;
    CodeGrid codes; ///< SynthCodec tokens, 4 x round(seconds * 25)
};

class Composer {
  public:
    /// {"classical", "electronic", "jazz", "rock"}: the order of the SynthCodec genre field.
    static const std::vector<std::string>& genres();
    /// Index into genres(); throws std::invalid_argument naming the genre and the choices.
    static int genreIndex(const std::string& genre);

    explicit Composer(const EmotionLexicon& lexicon = EmotionLexicon::builtin());

    /// Deterministic in the request. Throws std::invalid_argument for an unknown genre,
    /// valence/arousal outside [1, 9] or seconds outside (0, 600].
    Piece compose(const ComposerRequest& request) const;

  private:
    const EmotionLexicon* lexicon_;
};

} // namespace moodsteer
