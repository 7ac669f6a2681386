// Incremental EnCodec decoding for playback while the LM generates (batch 1).
//
// The decoder is conv(k=7, non-causal) -> LSTM (causal) -> ELU/transposed-conv/resnet stack
// (non-causal, finite reach). Streaming is made exact rather than approximate:
//  * the input convolution is evaluated on a window with its left context and only for frames
//    whose right neighbours have arrived (reach: kernel_size / 2 = 3 frames each side; it is
//    cheap, so it always uses exactly its reach);
//  * the LSTM runs once per frame and carries its (h, c) state across pushes, so its unbounded
//    memory is reproduced exactly (re-decoding a window instead would only approximate it);
//  * the upsampling stack is re-run on a window of `contextFrames` earlier LSTM frames plus the
//    new ones, and the last frames whose audio still depends on unseen frames are held back.
// Every emitted sample is therefore computed from the same inputs as a one-shot decode(): the
// concatenation of all push() and finish() outputs equals decode() of all frames up to float
// rounding (measured <= 2e-6 absolute, relative RMS < 1e-6 in the tests), with identical length. No
// crossfade is needed because chunk boundaries carry no approximation; there is nothing to click.
//
// Latency vs accuracy: the minimum exact lookahead is reach(input conv).right +
// reach(upsampling).right frames; for the MusicGen 32 kHz codec that is 3 + 1 = 4 frames (80 ms
// of audio), and the minimum context (earlier LSTM frames re-run through the upsampling
// stack) is 1 frame. Smaller values would make the output depend on chunking (and feed
// approximations into the LSTM state for good), so they are rejected; larger values only cost
// recomputation (each push re-runs the upsampling stack on context + new + held-back frames, n + 2
// frames for n-frame pushes). Small windows are far less efficient per frame than one long call,
// mostly from OpenMP: every layer is a parallel region, and on a busy 2-core machine each waits for
// the second thread to be scheduled. Measured (musicgen-small shapes, random weights, loaded 2-core
// host): one-shot 500 frames 5-12 s; streaming 10-frame pushes 41 ms/frame with 2 threads, 27
// ms/frame with 1 thread; 1-frame pushes 171 vs 59 ms/frame. So push several frames at a time, and
// prefer a single torch thread on the thread that streams when the machine is busy.
//
// Threads: not thread-safe; use one instance from one (engine) thread. Never call from a
// realtime audio callback: push() runs the network.
#pragma once

#include "models/Encodec.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace moodsteer::models {

class EncodecStreamingDecoder {
  public:
    /// contextFrames / lookaheadFrames < 0 pick the minimum exact values for `model`; explicit
    /// values below that minimum throw std::invalid_argument (the message gives the minimum).
    explicit EncodecStreamingDecoder(EncodecModel model, int64_t contextFrames = -1,
                                     int64_t lookaheadFrames = -1);

    /// newCodes [K, n] int (n >= 0) for batch item 0; returns the audio that became final,
    /// samples interleaved by channel (mono for MusicGen). Throws for bad codes (the stream
    /// stays usable: nothing is consumed).
    std::vector<float> push(const torch::Tensor& newCodes);
    /// Emits everything still held back (the stream's end is now known) and resets, so the
    /// object can decode a new stream. Total output = frames pushed x hop samples x channels.
    std::vector<float> finish();

    int64_t contextFrames() const { return context_; }
    int64_t lookaheadFrames() const { return lookahead_; }
    /// Minimum exact settings for a model (see above).
    static int64_t minimumContextFrames(const EncodecModel& model);
    static int64_t minimumLookaheadFrames(const EncodecModel& model);

    int64_t framesPushed() const { return received_; }
    int64_t framesEmitted() const { return emitted_; }

  private:
    std::vector<float> advance(bool final);
    void reset();

    EncodecModel model_;
    int64_t context_ = 0;
    int64_t lookahead_ = 0;
    FrameReach convReach_;
    int64_t upsampleHold_ = 0; // frames of LSTM output held back for the upsampling stack
    int64_t numCodebooks_ = -1;

    // latent_ holds latent frames [latentBase_, received_); lstmOut_ holds LSTM output frames
    // [lstmBase_, committed_); audio is final for frames [0, emitted_).
    torch::Tensor latent_;
    int64_t latentBase_ = 0;
    torch::Tensor lstmOut_;
    int64_t lstmBase_ = 0;
    std::optional<EncodecModelImpl::LstmState> lstmState_;
    int64_t received_ = 0;
    int64_t committed_ = 0;
    int64_t emitted_ = 0;
};

} // namespace moodsteer::models
