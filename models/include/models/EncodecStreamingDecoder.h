// Incremental EnCodec decoding for playback while the LM generates (batch 1).
//
// The decoder is conv(k=7, non-causal) -> LSTM (causal) -> ELU/transposed-conv/resnet stack
// (non-causal, finite reach). Streaming is made exact rather than approximate:
//  * the input convolution is evaluated on a window with its left context and only for frames
//    whose right neighbours have arrived (reach: kernel_size / 2 = 3 frames each side; it is
//    cheap, so it always uses exactly its reach);
//  * the LSTM runs once per frame and carries its (h, c) state across pushes, so its unbounded
//    memory is reproduced exactly (re-decoding a window instead would only approximate it);
//  * the upsampling stack runs as a stream (EncodecModelImpl::decoderUpsampleStream): each
//    layer keeps the edge of its input that later samples need, so every audio sample is
//    computed once, whatever the size of the pushes, and is released as soon as no later frame
//    can change it.
// Every emitted sample is therefore computed from the same inputs as a one-shot decode(): the
// concatenation of all push() and finish() outputs equals decode() of all frames up to float
// rounding (max abs <= 1e-5, relative RMS < 1e-5 in the tests), with identical length. No
// crossfade is needed because chunk boundaries carry no approximation; there is nothing to click.
//
// Latency: audio for a frame comes out once the input convolution has its 3 frames of right
// context (60 ms at 32 kHz), less the few samples each upsampling layer waits for. Before the
// stream form (2026-12-06) the upsampling stack was re-run on a window of 1 earlier and 1
// later frame around each push, 3x the work for the 1-frame pushes of live generation.
// Small pushes still cost more per frame than one long call (every layer is a LibTorch call,
// and an OpenMP region when several threads are allowed), so push several frames at a time
// where latency allows, and prefer one torch thread on the thread that streams.
//
// Threads: not thread-safe; use one instance from one (engine) thread. Never call from a
// realtime audio callback: push() runs the network.
#pragma once

#include "models/Encodec.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace moodsteer::models {

class EncodecStreamingDecoder {
  public:
    explicit EncodecStreamingDecoder(EncodecModel model);

    /// newCodes [K, n] int (n >= 0) for batch item 0; returns the audio that became final,
    /// samples interleaved by channel (mono for MusicGen). Throws for bad codes (the stream
    /// stays usable: nothing is consumed).
    std::vector<float> push(const torch::Tensor& newCodes);
    /// Emits everything still held back (the stream's end is now known) and resets, so the
    /// object can decode a new stream. Total output = frames pushed x hop samples x channels.
    std::vector<float> finish();

    /// An independent decoder in the same state (LSTM state, held latents and every layer's
    /// edge copied): frames pushed to the copy are decoded exactly as the original would decode
    /// them, and the original is unchanged. To hear frames before committing to them.
    std::unique_ptr<EncodecStreamingDecoder> clone() const;

    int64_t framesPushed() const { return received_; }
    /// Audio samples (per channel) emitted since the stream began.
    int64_t samplesEmitted() const { return emitted_; }

  private:
    explicit EncodecStreamingDecoder(std::nullptr_t) : model_(nullptr) {} // for clone()
    std::vector<float> advance(bool final);
    void reset();

    EncodecModel model_;
    FrameReach convReach_;
    int64_t numCodebooks_ = -1;
    std::unique_ptr<SampleStream> upsample_;

    // latent_ holds latent frames [latentBase_, received_); the LSTM has run on frames
    // [0, committed_).
    torch::Tensor latent_;
    int64_t latentBase_ = 0;
    std::optional<EncodecModelImpl::LstmState> lstmState_;
    int64_t received_ = 0;
    int64_t committed_ = 0;
    int64_t emitted_ = 0;
};

} // namespace moodsteer::models
