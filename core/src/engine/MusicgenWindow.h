// One window of MusicgenFamily generation: conditioning, steering and the stepwise Generator.
// The valence/arousal target is re-evaluated before every decode step on the session clock;
// when it changes, the AV token's cross-attention keys/values are rewritten in place (a
// one-token projection per layer), so the conditioning follows an emotion path inside the
// window. Steering follows the same clock (clip position and seconds).
//
// The prefill reads the whole context at the conditioning and steering of the window's first
// new frame (or WindowRequest::conditionFrame), in one batched pass or in the chunks a read
// ahead uses (the context's own history is not replayed).
#pragma once

#include "core/engine/ModelFamily.h"
#include "core/steering/SteeringPlan.h"
#include "engine/Generator.h"
#include "engine/MusicEngineImpl.h"
#include "steering/SteeringHook.h"

#include <memory>
#include <optional>
#include <utility>

namespace moodsteer {

class MusicgenWindow : public WindowDecoder {
  public:
    /// Throws EngineError for conditioning the model cannot honour.
    MusicgenWindow(MusicEngine::Impl& engine, const WindowRequest& request,
                   const models::DecoderHooks* observer, std::function<void(int)> beforeStep,
                   std::vector<torch::Tensor>* scores);

    void prefill() override;
    CodeGrid step() override;
    bool done() const override { return gen_.done(); }
    int stepsDone() const override { return gen_.stepsDone(); }
    int totalSteps() const override { return gen_.totalSteps(); }
    CodeGrid newCodes() const override;
    bool restart(std::uint64_t seed) override;
    bool fork(const std::vector<std::uint64_t>& seeds, int steps) override;
    bool keep(int candidate) override;
    std::vector<CodeGrid> takeCodes() const override;
    bool readAhead(const CodeGrid& known) override;
    bool settle(const WindowRequest& request) override;
    int contextColumnsRead() const override { return gen_.columnsRead(); }

  private:
    /// Before decode step s: the step's time, the emotion target there, the steering clock.
    void prepareStep(int step);
    void setEmotion(std::pair<double, double> va);
    double secondsOfStep(int step) const;
    /// The session-clock frame of step `step` (step 0, the prefill's: conditionFrame if set).
    int frameOfStep(int step) const;
    /// Throws EngineError when the request's context and new frames exceed the positions.
    void checkLength(const WindowRequest& request) const;

    MusicEngine::Impl& engine_;
    const Recipe& recipe_;
    WindowRequest request_;
    std::shared_ptr<const SteeringPlan> plan_;
    std::unique_ptr<SteeringHook> steer_;
    std::function<void(int)> beforeStep_;
    Generator gen_;
    std::optional<std::pair<double, double>> emotion_; ///< the AV token's current value
    std::int64_t avRow_ = -1;                          ///< its position in the memory
    CodeGrid pending_;                                 ///< frames completed by this step
    std::vector<CodeGrid> chunks_;                     ///< every final new frame
    std::vector<std::uint64_t> forkSeeds_;             ///< the candidates' seeds while forked
};

} // namespace moodsteer
