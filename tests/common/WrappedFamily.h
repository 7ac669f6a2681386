// A model family whose windows forward to another family's only what a test lets them: the
// same windows without a capability (forking, reading a context ahead), to compare a session
// made with it and without it.
#pragma once

#include "core/engine/ModelFamily.h"

#include <memory>

namespace moodsteer::test {

class WrappedFamily : public ModelFamily {
  public:
    /// `fork`: the windows fork (and keep, and hand out the candidates' codes). They never read
    /// a context ahead nor settle one.
    WrappedFamily(ModelFamily& inner, bool fork) : inner_(inner), fork_(fork) {}
    const ModelInfo& info() const override { return inner_.info(); }
    const AudioCodec& codec() const override { return inner_.codec(); }
    int windowFrames() const override { return inner_.windowFrames(); }
    std::unique_ptr<WindowDecoder> begin(const WindowRequest& r) override {
        class Window : public WindowDecoder {
          public:
            Window(std::unique_ptr<WindowDecoder> w, bool fork) : w_(std::move(w)), fork_(fork) {}
            void prefill() override { w_->prefill(); }
            CodeGrid step() override { return w_->step(); }
            bool done() const override { return w_->done(); }
            int stepsDone() const override { return w_->stepsDone(); }
            int totalSteps() const override { return w_->totalSteps(); }
            CodeGrid newCodes() const override { return w_->newCodes(); }
            bool restart(std::uint64_t seed) override { return w_->restart(seed); }
            bool fork(const std::vector<std::uint64_t>& seeds, int steps) override {
                return fork_ && w_->fork(seeds, steps);
            }
            bool keep(int candidate) override { return fork_ && w_->keep(candidate); }
            std::vector<CodeGrid> takeCodes() const override {
                return fork_ ? w_->takeCodes() : std::vector<CodeGrid>{newCodes()};
            }

          private:
            std::unique_ptr<WindowDecoder> w_;
            bool fork_;
        };
        return std::make_unique<Window>(inner_.begin(r), fork_);
    }

  private:
    ModelFamily& inner_;
    bool fork_;
};

} // namespace moodsteer::test
