#include "engine/MusicgenWindow.h"

#include "core/engine/ValueLimits.h"
#include "core/steering/SteeringSchedule.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace moodsteer {

MusicgenWindow::MusicgenWindow(MusicEngine::Impl& engine, const WindowRequest& request,
                               const models::DecoderHooks* observer,
                               std::function<void(int)> beforeStep,
                               std::vector<torch::Tensor>* scores)
    : engine_(engine), recipe_(*request.recipe), request_(request),
      beforeStep_(std::move(beforeStep)), gen_(engine.model->decoder) {
    torch::NoGradGuard g;
    const Recipe& r = recipe_;
    const ModelInfo& info = engine_.info;
    if (request_.newFrames < 1) throw EngineError("a window needs at least one new frame");
    if (request_.context.frames > 0 && request_.context.numCodebooks != info.numCodebooks)
        throw EngineError("the prompt has " + std::to_string(request_.context.numCodebooks) +
                          " code streams; this model uses " + std::to_string(info.numCodebooks));
    checkLength(request_);
    if (request_.totalFrames < request_.startFrame + request_.newFrames)
        request_.totalFrames = request_.startFrame + request_.newFrames;
    if (!r.greedy && !(r.temperature > 0)) throw EngineError("temperature must be > 0");
    if (!(r.guidance >= 0) || !std::isfinite(r.guidance))
        throw EngineError("guidance must be a finite number >= 0");

    const std::optional<std::pair<double, double>> va = r.emotionAt(secondsOfStep(0));
    Conditioning c = engine_.condition(r, va);
    if (va) {
        emotion_ = va;
        avRow_ = c.memory.size(1) - 1; // the AV token is appended after the text
    }
    if (!r.steering.empty()) {
        try {
            plan_ = std::make_shared<const SteeringPlan>(
                SteeringPlan::fromRecipe(r.steering, info.id, info.hiddenSize, info.numLayers));
        } catch (const std::exception& e) {
            throw EngineError(e.what());
        }
    }
    const int K = info.numCodebooks;
    const int takes = std::max(1, request_.takes);
    if (takes > limits::kMaxTakes)
        throw EngineError("at most " + std::to_string(limits::kMaxTakes) +
                          " takes in one batch, asked for " + std::to_string(takes));
    if (takes > 1 && request_.context.frames > 0)
        throw EngineError("takes start from the prompt alone; they cannot continue audio");
    GeneratorOptions o;
    o.frames = request_.newFrames;
    o.guidance = r.guidance;
    if (r.emotionGuidance) {
        if (!va)
            throw EngineError("emotion guidance needs a valence/arousal target (and a model "
                              "with an AV encoder)");
        if (!(*r.emotionGuidance >= 0 && *r.emotionGuidance <= limits::kMaxGuidance))
            throw EngineError("emotion guidance must lie in [0, " +
                              std::to_string(static_cast<int>(limits::kMaxGuidance)) + "]");
        o.emotionGuidance = r.emotionGuidance;
        o.avFreeMask = c.mask.clone();
        o.avFreeMask.narrow(1, avRow_, 1).zero_();
    }
    o.takes = takes;
    steer_ = std::make_unique<SteeringHook>(plan_, Generator::conditionalRows(o),
                                            request_.totalFrames + K - 1, observer);
    o.sampling = {r.greedy, r.temperature, r.topK, r.topP};
    o.seed = request_.seed;
    if (takes > 1)
        for (int i = 0; i < takes; ++i)
            o.seeds.push_back(request_.seed + static_cast<std::uint64_t>(i)); // wraps, as u64
    if (!r.kvCache.empty()) {
        try {
            o.kvCache = models::parseKvCachePrecision(r.kvCache);
        } catch (const std::invalid_argument& e) {
            throw EngineError(e.what());
        }
    }
    if (request_.context.frames > 0) o.prompt = {request_.context};
    if (request_.aheadColumns > 0 && request_.context.frames > 0 && takes == 1)
        o.aheadColumns = request_.aheadColumns;
    o.hooks = steer_->hooks();
    o.scores = scores;
    o.beforeStep = [this](int step) { prepareStep(step); };
    o.onFrames = [this](const CodeGrid& fresh) {
        pending_ = fresh;
        chunks_.push_back(fresh);
    };
    try {
        gen_.start(c.memory, c.mask, std::move(o));
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    } catch (const std::runtime_error& e) {
        throw EngineError(e.what());
    }
}

void MusicgenWindow::checkLength(const WindowRequest& request) const {
    const ModelInfo& info = engine_.info;
    if (request.context.frames + request.newFrames > info.maxFrames)
        throw EngineError("at most " + std::to_string(info.maxFrames) + " frames (" +
                          std::to_string(info.maxFrames / info.frameRate) +
                          " s) fit this model's positions; the window asks for " +
                          std::to_string(request.context.frames) + " prompt + " +
                          std::to_string(request.newFrames) + " new");
}

int MusicgenWindow::frameOfStep(int step) const {
    if (step == 0 && request_.conditionFrame >= 0) return request_.conditionFrame;
    // Step s samples new frame s of codebook 0; the K-1 closing steps only finish the
    // delayed codebooks of the last frames, so they keep the last frame's time.
    return request_.startFrame + std::min(step, request_.newFrames - 1);
}

double MusicgenWindow::secondsOfStep(int step) const {
    return frameOfStep(step) / engine_.info.frameRate;
}

void MusicgenWindow::prepareStep(int step) {
    const double seconds = secondsOfStep(step);
    if (emotion_ && !recipe_.emotionPath.empty()) {
        const auto va = recipe_.emotionPath.at(seconds);
        if (va != *emotion_) setEmotion(va);
    }
    const int globalStep = step == 0 ? frameOfStep(0) : request_.startFrame + step;
    steer_->setTime(
        {clipPosition(globalStep, request_.totalFrames + engine_.info.numCodebooks - 1), seconds});
    if (beforeStep_) beforeStep_(step);
}

void MusicgenWindow::setEmotion(std::pair<double, double> va) {
    torch::NoGradGuard g;
    auto& model = engine_.model;
    auto v = torch::tensor({va.first, va.second}, torch::kFloat32).view({1, 2});
    auto one = torch::ones({1, 1}, torch::kInt64);
    auto token = model->project(model->av_encoder->forward(v), one); // [1, 1, D]
    auto fresh = model->decoder->precomputeCross(token, one);
    auto& cross = gen_.cross();
    // Only the conditional rows: the AV-free and unconditional branches mask the AV row.
    for (std::size_t l = 0; l < cross.k.size(); ++l) {
        cross.k[l].narrow(0, 0, gen_.batch()).narrow(2, avRow_, 1).copy_(fresh.k[l]);
        cross.v[l].narrow(0, 0, gen_.batch()).narrow(2, avRow_, 1).copy_(fresh.v[l]);
    }
    emotion_ = va;
}

void MusicgenWindow::prefill() {
    try {
        gen_.prefill();
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
}

CodeGrid MusicgenWindow::step() {
    pending_ = CodeGrid(engine_.info.numCodebooks, 0);
    try {
        gen_.step();
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
    return std::move(pending_);
}

bool MusicgenWindow::readAhead(const CodeGrid& known) {
    try {
        return gen_.readAhead(known);
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
}

bool MusicgenWindow::settle(const WindowRequest& request) {
    if (request_.aheadColumns <= 0 || gen_.prefilled() || request.recipe != request_.recipe ||
        request.conditionFrame != request_.conditionFrame ||
        request.aheadColumns != request_.aheadColumns || std::max(1, request.takes) != 1 ||
        request.context.frames == 0 || request.newFrames < 1)
        return false;
    checkLength(request);
    WindowRequest settled = request;
    settled.totalFrames = std::max(settled.totalFrames, settled.startFrame + settled.newFrames);
    if (settled.totalFrames != request_.totalFrames) return false; // the steering's clip clock
    try {
        gen_.reprompt(request.context, request.newFrames, request.seed);
    } catch (const std::runtime_error&) {
        return false; // more positions than the plan's cache: begin anew
    }
    request_ = std::move(settled);
    chunks_.clear();
    pending_ = CodeGrid(engine_.info.numCodebooks, 0);
    return true;
}

bool MusicgenWindow::restart(std::uint64_t seed) {
    if (!gen_.prefilled() || (gen_.batch() != 1 && !gen_.forked())) return false;
    gen_.restart(seed);
    request_.seed = seed;
    forkSeeds_.clear();
    chunks_.clear();
    pending_ = CodeGrid(engine_.info.numCodebooks, 0);
    return true;
}

bool MusicgenWindow::fork(const std::vector<std::uint64_t>& seeds, int steps) {
    if (!gen_.canFork(static_cast<int>(seeds.size()))) return false;
    gen_.fork(seeds, steps);
    forkSeeds_ = seeds;
    chunks_.clear();
    pending_ = CodeGrid(engine_.info.numCodebooks, 0);
    return true;
}

bool MusicgenWindow::keep(int candidate) {
    if (!gen_.forked() || candidate < 0 || candidate >= gen_.batch()) return false;
    CodeGrid made = gen_.completeFrames(candidate);
    gen_.keep(candidate);
    request_.seed = forkSeeds_.at(static_cast<std::size_t>(candidate));
    forkSeeds_.clear();
    chunks_.clear();
    chunks_.push_back(std::move(made));
    pending_ = CodeGrid(engine_.info.numCodebooks, 0);
    return true;
}

std::vector<CodeGrid> MusicgenWindow::takeCodes() const {
    if (gen_.batch() == 1) return {newCodes()};
    std::vector<CodeGrid> out;
    for (int b = 0; b < gen_.batch(); ++b)
        out.push_back(gen_.completeFrames(b));
    return out;
}

CodeGrid MusicgenWindow::newCodes() const {
    int frames = 0;
    for (const auto& c : chunks_)
        frames += c.frames;
    CodeGrid out(engine_.info.numCodebooks, frames);
    int at = 0;
    for (const auto& c : chunks_) {
        for (int k = 0; k < c.numCodebooks; ++k)
            for (int f = 0; f < c.frames; ++f)
                out.at(k, at + f) = c.at(k, f);
        at += c.frames;
    }
    return out;
}

} // namespace moodsteer
