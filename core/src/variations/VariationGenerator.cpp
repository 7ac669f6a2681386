#include "core/variations/VariationGenerator.h"

#include "core/engine/ValueLimits.h"
#include "core/io/Resources.h"
#include "core/synth/SynthCodec.h"
#include "engine/ComputeThreads.h"
#include "variations/AttentionCurveMaker.h"
#include "variations/VariationModel.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

namespace moodsteer {

using namespace variations;
using Clock = std::chrono::steady_clock;

struct VariationGenerator::Impl {
    VariationModel model;
    std::unique_ptr<AttentionCurveMaker> curves;
    VariationModelInfo info;
    std::vector<double> alphaBars;
};

namespace {

/// Predicted x0 is clipped to this many standard deviations of the normalised latents: at the
/// noisiest steps sqrt(alphaBar) is tiny and an unclipped estimate explodes.
constexpr double kClipX0 = 4.0;

constexpr int kFramesPerLatent = models::VariationVaeConfig::kDownsample;

torch::Tensor gaussian(std::mt19937_64& rng, std::int64_t c, std::int64_t l) {
    std::normal_distribution<float> n(0.f, 1.f);
    auto t = torch::empty({1, c, l});
    auto* p = t.data_ptr<float>();
    for (std::int64_t i = 0; i < c * l; ++i)
        p[i] = n(rng);
    return t;
}

/// DDIM step with the predicted x0 clipped (eps recomputed from the clipped x0).
torch::Tensor clippedStep(const torch::Tensor& xt, torch::Tensor eps, double abar,
                          double abarPrev) {
    auto x0 = ((xt - std::sqrt(1 - abar) * eps) / std::sqrt(abar)).clamp(-kClipX0, kClipX0);
    eps = (xt - std::sqrt(abar) * x0) / std::sqrt(1 - abar);
    return models::ddimStep(xt, eps, abar, abarPrev);
}

} // namespace

VariationGenerator::VariationGenerator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VariationGenerator::~VariationGenerator() = default;

std::unique_ptr<VariationGenerator> VariationGenerator::load(const std::string& folder,
                                                             int threads) {
    if (threads < 0) throw VariationError("threads must be >= 0");
    if (!std::filesystem::is_directory(folder))
        throw VariationError("variation model folder '" + folder + "' does not exist");
    auto impl = std::make_unique<Impl>();
    try {
        impl->model = VariationModel::load(folder, true);
        impl->curves = std::make_unique<AttentionCurveMaker>();
    } catch (const std::exception& e) {
        throw VariationError(e.what());
    }
    if (threads > 0) setComputeThreads(threads);
    auto& info = impl->info;
    info.folder = folder;
    info.vaeParameters = impl->model.vaeParameters();
    info.diffusionParameters = impl->model.diffusionParameters();
    info.latentChannels = impl->model.vae->config().latentChannels();
    info.timeDownsample = kFramesPerLatent;
    info.diffusionSteps = impl->model.diffusion->config().timesteps;
    info.summary = "variations: VAE " + std::to_string(info.vaeParameters / 1000) + "k params (" +
                   std::to_string(info.latentChannels) +
                   " latent channels / 0.16 s) + latent diffusion " +
                   std::to_string(info.diffusionParameters / 1000) +
                   "k params (T = " + std::to_string(info.diffusionSteps) + ")";
    impl->alphaBars = models::cosineAlphaBars(info.diffusionSteps);
    return std::unique_ptr<VariationGenerator>(new VariationGenerator(std::move(impl)));
}

std::string VariationGenerator::shippedFolder() {
    const auto dir = resourcePath("variations");
    return std::filesystem::is_regular_file(std::filesystem::path(dir) / "config.json") ? dir : "";
}

const VariationModelInfo& VariationGenerator::info() const {
    return impl_->info;
}

bool VariationGenerator::canShiftValence() const {
    return impl_->model.diffusion->config().curveChannels == kCurveChannels;
}

void VariationGenerator::validate(const VariationRequest& r) const {
    const auto& s = r.source;
    if (s.numCodebooks != 4)
        throw VariationError("the source must be SynthCodec codes (4 streams), not " +
                             std::to_string(s.numCodebooks) + " streams");
    if (s.frames < VariationRequest::kMinFrames || s.frames > VariationRequest::kMaxFrames)
        throw VariationError("the source must be 2 to 60 s long (50 to 1500 frames), not " +
                             std::to_string(s.frames) + " frames");
    try {
        SynthCodec::validate(s);
    } catch (const std::exception& e) {
        throw VariationError(std::string("source codes: ") + e.what());
    }
    if (r.count < 1 || r.count > VariationRequest::kMaxCount)
        throw VariationError("count must be 1 to " + std::to_string(VariationRequest::kMaxCount) +
                             ", not " + std::to_string(r.count));
    if (!(r.similarity > 0 && r.similarity <= 1))
        throw VariationError("similarity must be in (0, 1], not " + std::to_string(r.similarity));
    if (r.steps < 1 || r.steps > VariationRequest::kMaxSteps)
        throw VariationError("steps must be 1 to " + std::to_string(VariationRequest::kMaxSteps) +
                             ", not " + std::to_string(r.steps));
    if (!(r.shiftGuidance >= 0 && r.shiftGuidance <= limits::kMaxGuidance))
        throw VariationError("the shift guidance must be in [0, 100], not " +
                             std::to_string(r.shiftGuidance));
    if (!(r.guidance >= 0 && r.guidance <= limits::kMaxGuidance))
        throw VariationError("guidance must be in [0, 100], not " + std::to_string(r.guidance));
    if (!(std::abs(r.shiftArousal) <= VariationRequest::kMaxShift))
        throw VariationError("the arousal shift must be in [-8, 8], not " +
                             std::to_string(r.shiftArousal));
    if (!(std::abs(r.shiftValence) <= VariationRequest::kMaxShift))
        throw VariationError("the valence shift must be in [-8, 8], not " +
                             std::to_string(r.shiftValence));
    if (r.shiftValence != 0 && !canShiftValence())
        throw VariationError("a valence shift needs a variation model whose attention curve "
                             "has a valence channel; this one has none (only arousal can be "
                             "shifted; retrain it with train-variations --stage diffusion)");
    if (r.restoreBeginSeconds.has_value() != r.restoreEndSeconds.has_value())
        throw VariationError("a restore range needs both a start and an end");
    if (r.restoreBeginSeconds) {
        const double b = *r.restoreBeginSeconds, e = *r.restoreEndSeconds;
        const double length = s.frames / 25.0;
        if (!(b >= 0 && e <= length && e - b >= 0.16)) {
            char text[160];
            std::snprintf(text, sizeof text,
                          "the restore range %.2f:%.2f s must lie inside the source (0 to %.2f s) "
                          "and be at least 0.16 s long",
                          b, e, length);
            throw VariationError(text);
        }
    }
}

VariationResult
VariationGenerator::generate(const VariationRequest& r,
                             const std::function<void(const VariationProgress&)>& onProgress,
                             const std::atomic<bool>* cancel) {
    validate(r);
    const auto t0 = Clock::now();
    auto& m = impl_->model;
    const auto& abar = impl_->alphaBars;
    torch::NoGradGuard noGrad;
    const int T = r.source.frames, Tp = paddedFrames(T), L = Tp / kFramesPerLatent;
    const int C = m.vae->config().latentChannels();
    const auto batch = toTensors({toFields(r.source, 0, Tp)});
    const auto z0 = m.encodeMean(batch, true);

    VariationResult result;
    result.sourceCurve = impl_->curves->curve(r.source);
    const int channels = m.diffusion->config().curveChannels;
    auto curveOf = [&](double shiftArousal, double shiftValence) {
        auto norm = AttentionCurveMaker::normalisedFrames(result.sourceCurve, L, shiftArousal,
                                                          channels, shiftValence, m.curveCoupling);
        return torch::from_blob(norm.data(), {1, channels, L}).clone();
    };
    // U-Net rows per step: the (shifted) condition; the null condition when guided; the
    // source's own curve when a shift is guided.
    const auto curve = curveOf(r.shiftArousal, r.shiftValence);
    const bool guided = r.guidance != 1.0;
    const bool shifted = r.shiftArousal != 0 || r.shiftValence != 0;
    const bool shiftGuided = r.shiftGuidance > 0 && shifted;
    // A shift samples without the source's summary tokens when the model learned to (summary
    // dropout in training): the summary pins the source's dynamics and would drown the shift.
    // A model trained with subspace dropout releases only the shifted dimension's subspace
    // (arousal: rhythm; valence: harmony) and keeps the source's summary of the others.
    const auto& names = m.vae->config().subspaceNames;
    auto summaryOff = torch::zeros({1, static_cast<long>(names.size())});
    if (shifted && m.trainedWithoutSubspace()) {
        for (std::size_t k = 0; k < names.size(); ++k)
            if ((names[k] == "rhythm" && r.shiftArousal != 0) ||
                (names[k] == "harmony" && r.shiftValence != 0))
                summaryOff[0][static_cast<long>(k)] = 1.f;
    } else if (shifted && m.trainedWithoutSummary()) {
        summaryOff.fill_(1.f);
    }
    std::vector<torch::Tensor> conds{
        m.diffusion->condition(curve, z0, batch.globals, torch::zeros({1}), summaryOff)},
        curves{curve};
    std::vector<float> dropped{0.f};
    if (guided) {
        conds.push_back(m.diffusion->condition(curve, z0, batch.globals, torch::ones({1})));
        curves.push_back(curve);
        dropped.push_back(1.f);
    }
    if (shiftGuided) {
        const auto source = curveOf(0, 0);
        conds.push_back(
            m.diffusion->condition(source, z0, batch.globals, torch::zeros({1}), summaryOff));
        curves.push_back(source);
        dropped.push_back(0.f);
    }
    const auto rows = static_cast<long>(conds.size());
    const auto cond = torch::cat(conds);
    const auto curveRows = torch::cat(curves);
    const auto droppedRows = torch::tensor(dropped);

    // Timesteps: `steps` evenly spaced from t_start = s * T - 1 down to the clean latent.
    const int TT = static_cast<int>(abar.size());
    const int tStart = std::clamp(static_cast<int>(std::lround(r.similarity * TT)) - 1, 0, TT - 1);
    std::vector<int> ts;
    for (int i = 0; i < r.steps; ++i) {
        const int t = static_cast<int>(std::lround(double(tStart) * (r.steps - i) / r.steps));
        if (ts.empty() || t < ts.back()) ts.push_back(t);
    }
    // Restoration: latent frames that touch no restored frame are known.
    int f0 = 0, f1 = 0;
    auto known = torch::zeros({1, 1, L}, torch::kBool);
    if (r.restoreBeginSeconds) {
        f0 = static_cast<int>(std::floor(*r.restoreBeginSeconds * 25.0));
        f1 = std::min(T, static_cast<int>(std::ceil(*r.restoreEndSeconds * 25.0)));
        for (int l = 0; l < L; ++l)
            known[0][0][l] = (l + 1) * kFramesPerLatent <= f0 || l * kFramesPerLatent >= f1;
    }
    const int totalSteps = r.count * static_cast<int>(ts.size());
    int done = 0;
    for (int k = 0; k < r.count && !result.cancelled; ++k) {
        const std::uint64_t seed = r.seed + static_cast<std::uint64_t>(k);
        std::mt19937_64 rng(seed);
        const double a0 = abar[static_cast<std::size_t>(tStart)];
        auto x = std::sqrt(a0) * z0 + std::sqrt(1 - a0) * gaussian(rng, C, L);
        for (std::size_t i = 0; i < ts.size(); ++i) {
            if (cancel && cancel->load()) {
                result.cancelled = true;
                break;
            }
            const int t = ts[i];
            const double a = abar[static_cast<std::size_t>(t)];
            const double aPrev =
                i + 1 < ts.size() ? abar[static_cast<std::size_t>(ts[i + 1])] : 1.0;
            const auto all =
                m.diffusion->forward(x.expand({rows, C, L}), torch::full({rows}, t, torch::kLong),
                                     cond, curveRows, droppedRows);
            auto eps = all[0].unsqueeze(0);
            if (guided) eps = all[1].unsqueeze(0) + r.guidance * (eps - all[1].unsqueeze(0));
            if (shiftGuided) eps = eps + r.shiftGuidance * (all[0] - all[rows - 1]).unsqueeze(0);
            x = clippedStep(x, eps, a, aPrev);
            if (r.restoreBeginSeconds) {
                auto xKnown = std::sqrt(aPrev) * z0 + std::sqrt(1 - aPrev) * gaussian(rng, C, L);
                x = torch::where(known, xKnown, x);
            }
            ++done;
            if (onProgress) {
                VariationProgress p;
                p.step = done;
                p.totalSteps = totalSteps;
                p.elapsedSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
                p.etaSeconds = p.elapsedSeconds / done * (totalSteps - done);
                p.message = "variation " + std::to_string(k + 1) + " of " + std::to_string(r.count);
                onProgress(p);
            }
        }
        if (result.cancelled) break;
        const auto fields = m.decodeFields(x, batch.globals, true);
        auto codes = VariationModel::toCodes(fields, 0, T, r.source, 0);
        if (r.restoreBeginSeconds)
            for (int s = 0; s < 4; ++s)
                for (int t = 0; t < T; ++t)
                    if (t < f0 || t >= f1) codes.at(s, t) = r.source.at(s, t);
        result.variations.push_back({std::move(codes), seed});
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

AttentionCurve VariationGenerator::attentionCurve(const CodeGrid& codes) const {
    return impl_->curves->curve(codes);
}

CodeGrid VariationGenerator::reconstruct(const CodeGrid& codes) const {
    torch::NoGradGuard noGrad;
    const int Tp = paddedFrames(codes.frames);
    const auto batch = toTensors({toFields(codes, 0, Tp)});
    auto& m = impl_->model;
    const auto mu = m.encodeMean(batch, false);
    return VariationModel::toCodes(m.decodeFields(mu, batch.globals, false), 0, codes.frames, codes,
                                   0);
}

} // namespace moodsteer
