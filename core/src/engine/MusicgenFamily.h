// The MusicGen family: a T5 (+ AV encoder) conditioned transformer LM over K codebooks with
// the delay pattern. Carries real MusicGen checkpoints (EnCodec) and the embedded model
// (SynthCodec) through the ModelFamily seam (core/engine/ModelFamily.h).
#pragma once

#include "core/engine/ModelFamily.h"
#include "engine/MusicEngineImpl.h"

#include <atomic>
#include <functional>

namespace moodsteer {

class MusicgenWindow;

class MusicgenFamily : public ModelFamily {
  public:
    /// Borrows the engine's model parts (MusicEngine::Impl owns them and outlives this).
    explicit MusicgenFamily(MusicEngine::Impl& engine) : engine_(engine) {}

    const ModelInfo& info() const override { return engine_.info; }
    const AudioCodec& codec() const override { return *engine_.codec; }
    int windowFrames() const override { return engine_.info.maxFrames; }
    std::unique_ptr<WindowDecoder> begin(const WindowRequest& request) override;

    /// begin() plus what probing needs: an observer of the decoder (after the steering), a
    /// callback before each step, and the guided scores of each step (tests).
    std::unique_ptr<MusicgenWindow> beginWindow(const WindowRequest& request,
                                                const models::DecoderHooks* observer = nullptr,
                                                std::function<void(int step)> beforeStep = {},
                                                std::vector<torch::Tensor>* scores = nullptr);

  private:
    MusicEngine::Impl& engine_;
};

} // namespace moodsteer
