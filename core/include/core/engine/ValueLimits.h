// The documented limits of every numeric recipe field and command-line option, in one place:
// Recipe::fromJson and moodsteer-cli's option table both check against these, and --help
// prints them. Values outside are refused with a line naming the field, never clamped.
#pragma once

#include <climits>
#include <cstdint>

namespace moodsteer::limits {

inline constexpr double kMaxSeconds = 3600.0; ///< a clip (the model's own limit also applies)
inline constexpr double kMinEmotion = 1.0;    ///< valence/arousal scale (SAM, 1..9)
inline constexpr double kMaxEmotion = 9.0;
inline constexpr double kMaxGuidance = 100.0; ///< classifier-free guidance scale, 0..100
inline constexpr double kMaxTemperature = 100.0;
inline constexpr double kMaxAlpha = 100.0; ///< |steering strength|; 0.1..2 is the useful range
inline constexpr int kMaxLayer = 1024;     ///< steering/probing layer index (model checks too)
inline constexpr int kMaxInt = INT_MAX;    ///< fields stored as int (steps, top-k, ...)
/// Takes generated in one batch: 2 rows each with guidance, and the fused decode step takes
/// at most 16 rows (models/MusicgenDecoder.h kFusedDecodeMaxItems).
inline constexpr int kMaxTakes = 8;

/// Seeds a session may try for each window's opening (Recipe::seamCandidates).
inline constexpr int kMaxSeamCandidates = 16;

/// The emotion check's tolerance (Recipe::emotionCheck): at most the whole 1..9 scale.
inline constexpr double kMaxEmotionCheck = 8.0;

} // namespace moodsteer::limits
