// When streamed playback of a clip still being generated may start without ever running dry,
// and how long that is from now, from the generator's measured speed. Torch-free and Qt-free:
// the studio's GenerationController asks it on every chunk and progress report.
//
// Model: nothing has been played yet; g seconds of audio are buffered, R = L - g are still to be
// made at r audio seconds per second (r = R / eta, the engine's own estimate), arriving in pieces
// of at most c seconds. Playing from now, audio made by time t is g + r t - c and audio played is
// t, so no gap needs g >= (1 - r) R / r + c for r < 1 (and g >= c for r >= 1). The speed is taken
// 25 % lower (it wobbles when other work shares the CPU) and c at least 1 s.
#pragma once

namespace moodsteer {

struct PrebufferEstimate {
    bool startNow = false;
    double speed = 0;         ///< audio seconds made per second of generation (measured)
    double waitSeconds = 0;   ///< expected wait before playback may start (0 when startNow)
    double bufferSeconds = 0; ///< audio that will be buffered when it starts
    /// `clipSeconds`: the clip's length; `generatedSeconds`: audio made so far; `etaSeconds`:
    /// the generator's time left (< 0: unknown); `chunkSeconds`: the largest piece it arrives in.
    /// A finished clip (nothing left to make) starts at once; an unknown speed waits.
    static PrebufferEstimate of(double clipSeconds, double generatedSeconds, double etaSeconds,
                                double chunkSeconds);
};

} // namespace moodsteer
