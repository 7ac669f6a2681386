// Text prompts for corpus pieces: templates filled with the genre, the instruments, the tempo
// and emotion words near the piece's (valence, arousal), so wording varies between pieces.
#pragma once

#include "Rng.h"
#include "core/corpus/Composer.h"
#include "core/emotion/EmotionLexicon.h"

#include <string>

namespace moodsteer::corpus {

/// `words`: candidate emotion words, closest first.
std::string writePrompt(const Piece& piece, const std::vector<EmotionLexicon::Word>& words,
                        Rng& rng);

/// Emotion words near (v, a) that read well in a prompt (lower-case, alphabetic).
std::vector<EmotionLexicon::Word> promptWords(const EmotionLexicon& lexicon, double valence,
                                              double arousal, std::size_t n);

} // namespace moodsteer::corpus
