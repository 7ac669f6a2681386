// Generation of any length over any ModelFamily (core/engine/ModelFamily.h): windows of W frames,
// each re-prompted with the last W - S frames of the code stream (prefilled in one batched
// pass) and adding S new frames. The new frames of all windows form one continuous code
// stream, decoded once by the codec's streaming decoder (state carried across windows): no
// re-rendered overlap, no crossfade. Each window is held until the guard (WindowGuard)
// accepts it; a silent or looped window, and with the emotion check (EmotionCheck.h) one the
// emotion head hears off the path or with a gap of silence, is made again with the next seed
// (recorded in the recipe). With early acceptance (Recipe::acceptSeconds, new sessions) the
// guard judges a window every few seconds as it is made, through a copy of the stream decoder,
// and what it accepted plays at once; a window it rejects after that ends where it was last
// accepted (its length recorded) and the next window continues from there. Memory stays flat: one
// window's decoder (KV cache) at a time, the stream decoder's state, and the codes (a few MB for 30
// minutes); audio only if the caller keeps it.
//
// Threading: the engine thread; `cancel` may be set from any thread and is checked between
// decode steps. A cancelled run keeps the windows accepted so far.
#pragma once

#include "core/engine/ModelFamily.h"
#include "core/engine/MusicEngine.h"

#include <functional>

namespace moodsteer {

/// Window and stride in frames for a recipe on a family (stride 0: two thirds of the window).
/// Throws EngineError for a window beyond the family's or a stride not below the window.
struct WindowPlan {
    int window = 0;
    int stride = 0;
    int totalNewFrames = 0;
    /// Frames between the guard's early checks (Recipe::acceptSeconds); 0: whole windows.
    int segment = 0;
    /// Frames before the first window's first check (Recipe::firstAcceptSeconds): segment
    /// unless the recipe asks for a shorter first stretch.
    int firstSegment = 0;
    /// Recipe::acceptPace; 0: the first window's checks double (1, 2, 4, 8, 13 s), later
    /// windows' come every segment.
    double pace = 0;
    /// A window's last frames, judged only with the whole window (no check in them): segment;
    /// paced, what a seam's cut back needs to hear (SeamChoice::cutWindowFrames, 2.4 s at
    /// 50 Hz).
    int lastStretch = 0;
    int context() const { return window - stride; }
    /// The guard's next check in a window after its frame `check` (0: the window's first),
    /// `made` the session's frames before the window, `newFrames` the window's: a check at
    /// most newFrames - lastStretch, else none (a frame past that). Paced: firstSegment +
    /// pace x (made + check) frames on, at most segment, and a last check at
    /// newFrames - lastStretch, so that the stretch held back at a window's end is short too.
    int nextCheck(int w, int made, int check, int newFrames) const;
    static WindowPlan of(const ModelFamily& family, const Recipe& recipe);
};

/// The seed window `index` starts with: the recipe's seed for window 0, then a fixed mix.
std::uint64_t windowSeed(std::uint64_t seed, int index);

/// `prompt`: frames the generation continues (may be empty). `codecOnOwnThread`: stream the
/// codec on its own thread (PipelinedStreamDecoder) while the next window is generated; its
/// audio then reaches onAudio between decode steps.
GenerationResult generateWindowed(ModelFamily& family, const Recipe& recipe, const CodeGrid& prompt,
                                  const GenerationCallbacks& callbacks,
                                  bool codecOnOwnThread = false);

} // namespace moodsteer
