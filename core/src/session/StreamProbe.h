// A try of a session window heard as the stream will play it: its frames pushed into a copy of
// the stream's decoder, so that the guard judges the window with the stream's whole history and
// the audio it judged is the audio that plays (never decoded twice).
//
// When the stream decoder runs on the codec's own thread (PipelinedStreamDecoder), the session
// feeds the try's frames as the LM makes them, so the codec decodes frame n on the other core
// while the LM makes frame n + 1, and waits for the audio only where the guard judges; a
// decoder on the engine's thread is fed at the checks only (one push per stretch: each push of
// EnCodec reads its LSTM's weights once).
//
// A checkpoint frame keeps a copy of the decoder there, so that a window ended a little short
// of what it made (the seam's cut back, at most SeamChoice::maxCutFrames) is not decoded again
// from its start.
//
// Threads: the engine's only.
#pragma once

#include "core/audio/AudioCodec.h"

#include <memory>
#include <vector>

namespace moodsteer {

class StreamProbe {
  public:
    /// Null when the codec cannot copy its stream. `checkpoint`: the window frame after which
    /// a copy of the decoder is kept (<= 0: none). The try starts at the window's frame 0.
    static std::unique_ptr<StreamProbe> open(const StreamDecoder& stream, int checkpoint);

    /// The try's new frames, in order (as WindowDecoder::step returns them); pushes none.
    void add(const CodeGrid& fresh);
    /// Pushes the frames added, up to the window's frame `upTo` (at most those added).
    void feed(int upTo);
    int fed() const { return fed_; }
    /// Waits for the audio of every frame fed: all of the try's audio so far.
    const std::vector<float>& heard();

    /// The stream decoder and the audio that goes with it, not yet played.
    struct Part {
        std::unique_ptr<StreamDecoder> decoder;
        std::vector<float> chunk;
    };
    /// Accepts what was fed: a copy of the decoder there and the audio not yet taken (now
    /// taken). The probe goes on.
    Part commit();
    /// The audio not yet taken (a copy; nothing is taken).
    std::vector<float> untaken();
    /// Ends the try after its first `frames` frames (at least those taken, at most those added):
    /// the decoder there and the audio not yet taken. A null decoder when only decoding again
    /// from the last commit can give it (before the checkpoint). The probe is spent.
    Part end(int frames);

  private:
    explicit StreamProbe(std::unique_ptr<StreamDecoder> decoder, int checkpoint)
        : decoder_(std::move(decoder)), checkpointFrame_(checkpoint) {}

    std::unique_ptr<StreamDecoder> decoder_;
    CodeGrid codes_; // every frame added
    int fed_ = 0;
    std::vector<float> heard_;
    std::size_t taken_ = 0; // samples of heard_ committed
    int takenFrames_ = 0;   // frames committed
    std::unique_ptr<StreamDecoder> checkpoint_;
    int checkpointFrame_;
    std::size_t checkpointHeard_ = 0; // samples of heard_ when the checkpoint was kept
};

} // namespace moodsteer
