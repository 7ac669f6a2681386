// What a listener would have heard of a stream: gaps (underruns) and how far ahead of the
// playhead the generator was, block by block. Fed from an audio output's block observer
// (ClockedNullSink) with AudioPlayer's atomic counters, so it measures the studio's own path.
//
// Threads: block() from the one thread that renders; the readers after that thread stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace moodsteer {

class PlaybackMeter {
  public:
    struct Level {
        double seconds = 0;    ///< output clock at the end of the interval
        double minAhead = 0;   ///< least audio buffered ahead of the playhead in the interval
        double lastAhead = 0;  ///< at the interval's end
        double gapSeconds = 0; ///< silence output by underruns in the interval
    };

    /// `rate`: the output's frames per second; levels are kept per `levelInterval` seconds.
    explicit PlaybackMeter(int rate, double levelInterval = 1.0);

    /// After each output block: the output clock (seconds since the output started, at the
    /// block's end), the player's cumulative underrun frames (AudioPlayer::underrunFrames) and
    /// the seconds of audio generated but not yet heard.
    void block(double seconds, std::uint64_t underrunFramesTotal, double aheadSeconds);

    /// Gaps heard: consecutive blocks that ran dry count as one underrun.
    int underruns() const { return underruns_; }
    double underrunSeconds() const { return double(underrunFrames_) / rate_; }
    /// Output clock when the first gap began (-1: none).
    double firstUnderrunAt() const { return firstUnderrunAt_; }
    const std::vector<Level>& levels() const { return levels_; }

  private:
    int rate_;
    double interval_;
    std::uint64_t lastTotal_ = 0;
    std::uint64_t underrunFrames_ = 0;
    bool inGap_ = false;
    int underruns_ = 0;
    double firstUnderrunAt_ = -1;
    std::vector<Level> levels_;
    Level current_;
    bool currentOpen_ = false;
};

} // namespace moodsteer
