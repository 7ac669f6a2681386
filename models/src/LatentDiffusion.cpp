#include "models/LatentDiffusion.h"

#include <torch/nn/functional.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace moodsteer::models {

namespace F = torch::nn::functional;

nlohmann::json LatentDiffusionConfig::toJson() const {
    return {{"latent_channels", latentChannels},
            {"subspaces", subspaces},
            {"curve_channels", curveChannels},
            {"global_sizes", globalSizes},
            {"width", width},
            {"condition_width", conditionWidth},
            {"heads", heads},
            {"timesteps", timesteps},
            {"curve_input", curveInput}};
}

LatentDiffusionConfig LatentDiffusionConfig::fromJson(const nlohmann::json& j) {
    LatentDiffusionConfig c;
    try {
        c.latentChannels = j.at("latent_channels").get<int>();
        c.subspaces = j.at("subspaces").get<int>();
        c.curveChannels = j.at("curve_channels").get<int>();
        c.globalSizes = j.at("global_sizes").get<std::vector<int>>();
        c.width = j.at("width").get<int>();
        c.conditionWidth = j.at("condition_width").get<int>();
        c.heads = j.at("heads").get<int>();
        c.timesteps = j.at("timesteps").get<int>();
        c.curveInput = j.value("curve_input", false);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("diffusion config: ") + e.what());
    }
    if (c.subspaces < 1 || c.latentChannels % c.subspaces != 0 || c.width % 8 != 0 || c.width < 8 ||
        c.heads < 1 || c.width % c.heads != 0 || c.conditionWidth < 1 || c.timesteps < 2 ||
        c.curveChannels < 1)
        throw std::runtime_error("diffusion config: inconsistent sizes");
    return c;
}

std::vector<double> cosineAlphaBars(int timesteps) {
    const double s = 0.008;
    auto f = [&](double t) {
        const double c = std::cos((t / timesteps + s) / (1 + s) * M_PI / 2);
        return c * c;
    };
    std::vector<double> out(static_cast<std::size_t>(timesteps));
    double product = 1.0;
    for (int t = 0; t < timesteps; ++t) {
        const double beta = std::min(1.0 - f(t + 1) / f(t), 0.999);
        product *= 1.0 - beta;
        out[static_cast<std::size_t>(t)] = product;
    }
    return out;
}

torch::Tensor ddimStep(const torch::Tensor& xt, const torch::Tensor& eps, double alphaBar,
                       double alphaBarPrev) {
    const auto x0 = (xt - std::sqrt(1.0 - alphaBar) * eps) / std::sqrt(alphaBar);
    return std::sqrt(alphaBarPrev) * x0 + std::sqrt(1.0 - alphaBarPrev) * eps;
}

FilmResBlockImpl::FilmResBlockImpl(int in, int out, int embedWidth) {
    norm1_ = register_module("norm1", torch::nn::GroupNorm(8, in));
    conv1_ = register_module("conv1",
                             torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, 3).padding(1)));
    film_ = register_module("film", torch::nn::Linear(embedWidth, 2 * out));
    norm2_ = register_module("norm2", torch::nn::GroupNorm(8, out));
    conv2_ = register_module("conv2",
                             torch::nn::Conv1d(torch::nn::Conv1dOptions(out, out, 3).padding(1)));
    if (in != out) skip_ = register_module("skip", torch::nn::Conv1d(in, out, 1));
}

torch::Tensor FilmResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
    auto h = conv1_(F::silu(norm1_(x)));
    auto film = film_(temb).unsqueeze(2).chunk(2, 1); // scale, shift: [B, out, 1]
    h = norm2_(h) * (1 + film[0]) + film[1];
    h = conv2_(F::silu(h));
    return (skip_ ? skip_(x) : x) + h;
}

SequenceAttentionImpl::SequenceAttentionImpl(int channels, int contextWidth, int heads)
    : heads_(heads) {
    norm_ = register_module("norm", torch::nn::GroupNorm(8, channels));
    q_ = register_module("q", torch::nn::Linear(channels, channels));
    k_ = register_module("k", torch::nn::Linear(contextWidth, channels));
    v_ = register_module("v", torch::nn::Linear(contextWidth, channels));
    out_ = register_module("out", torch::nn::Linear(channels, channels));
}

torch::Tensor SequenceAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
    const auto B = x.size(0), C = x.size(1), L = x.size(2), M = context.size(1);
    const auto d = C / heads_;
    auto h = norm_(x).transpose(1, 2); // [B, L, C]
    auto q = q_(h).view({B, L, heads_, d}).transpose(1, 2);
    auto k = k_(context).view({B, M, heads_, d}).transpose(1, 2);
    auto v = v_(context).view({B, M, heads_, d}).transpose(1, 2);
    auto w = torch::softmax(torch::matmul(q, k.transpose(2, 3)) / std::sqrt(double(d)), -1);
    auto o = torch::matmul(w, v).transpose(1, 2).reshape({B, L, C});
    return x + out_(o).transpose(1, 2);
}

LatentDiffusionImpl::LatentDiffusionImpl(LatentDiffusionConfig config)
    : config_(std::move(config)) {
    const auto& c = config_;
    const int w = c.width, e = 4 * c.width, dc = c.conditionWidth;
    time1_ = register_module("time1", torch::nn::Linear(w, e));
    time2_ = register_module("time2", torch::nn::Linear(e, e));
    curveIn_ = register_module("curve_in", torch::nn::Conv1d(c.curveChannels, dc, 1));
    summary_ =
        register_module("summary", torch::nn::Linear(2 * (c.latentChannels / c.subspaces), dc));
    globalEmbeddings_ = register_module("global_embeddings", torch::nn::ModuleList());
    for (int g : c.globalSizes)
        globalEmbeddings_->push_back(torch::nn::Embedding(g, dc));
    null_ = register_parameter("null", torch::randn({dc}) * 0.02);
    const int inChannels = c.latentChannels + (c.curveInput ? c.curveChannels + 1 : 0);
    in_ = register_module("in",
                          torch::nn::Conv1d(torch::nn::Conv1dOptions(inChannels, w, 3).padding(1)));
    res0_ = register_module("res0", FilmResBlock(w, w, e));
    cross0_ = register_module("cross0", SequenceAttention(w, dc, c.heads));
    down_ = register_module(
        "down", torch::nn::Conv1d(torch::nn::Conv1dOptions(w, 2 * w, 4).stride(2).padding(1)));
    res1_ = register_module("res1", FilmResBlock(2 * w, 2 * w, e));
    cross1_ = register_module("cross1", SequenceAttention(2 * w, dc, c.heads));
    mid1_ = register_module("mid1", FilmResBlock(2 * w, 2 * w, e));
    midSelf_ = register_module("mid_self", SequenceAttention(2 * w, 2 * w, c.heads));
    mid2_ = register_module("mid2", FilmResBlock(2 * w, 2 * w, e));
    up_ =
        register_module("up", torch::nn::Conv1d(torch::nn::Conv1dOptions(2 * w, w, 3).padding(1)));
    resUp_ = register_module("res_up", FilmResBlock(2 * w, w, e));
    crossUp_ = register_module("cross_up", SequenceAttention(w, dc, c.heads));
    outNorm_ = register_module("out_norm", torch::nn::GroupNorm(8, w));
    out_ = register_module(
        "out", torch::nn::Conv1d(torch::nn::Conv1dOptions(w, c.latentChannels, 3).padding(1)));
}

namespace {

/// Sinusoidal features of positions [N] (float) -> [N, width].
torch::Tensor sinusoid(const torch::Tensor& positions, int width) {
    const int half = width / 2;
    auto freqs = torch::exp(-std::log(10000.0) * torch::arange(half, torch::kFloat) /
                            static_cast<double>(half));
    auto a = positions.to(torch::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({torch::sin(a), torch::cos(a)}, 1);
}

} // namespace

torch::Tensor LatentDiffusionImpl::timestepEmbedding(const torch::Tensor& t) {
    return time2_(F::silu(time1_(sinusoid(t, config_.width))));
}

torch::Tensor LatentDiffusionImpl::condition(const torch::Tensor& curve,
                                             const torch::Tensor& inputLatent,
                                             const torch::Tensor& globals,
                                             const torch::Tensor& dropped,
                                             const torch::Tensor& summaryDropped) {
    const auto B = curve.size(0), L = curve.size(2);
    const int dc = config_.conditionWidth;
    auto curveTokens =
        curveIn_(curve).transpose(1, 2) + sinusoid(torch::arange(L), dc).unsqueeze(0); // [B, L, dc]
    const auto per = config_.latentChannels / config_.subspaces;
    auto mean = inputLatent.mean(2), spread = inputLatent.std(2, false);
    auto stats = torch::cat(
        {mean.view({B, config_.subspaces, per}), spread.view({B, config_.subspaces, per})},
        2); // [B, S, 2 per]
    auto summaryTokens = summary_(stats);
    if (summaryDropped.defined()) {
        const bool perSubspace = summaryDropped.numel() == B * config_.subspaces;
        if (summaryDropped.numel() != B && !perSubspace)
            throw std::invalid_argument(
                "LatentDiffusion: summaryDropped needs one value per row or per row and subspace");
        auto m = summaryDropped.to(torch::kBool).view({B, perSubspace ? config_.subspaces : 1, 1});
        summaryTokens =
            torch::where(m, null_.view({1, 1, dc}).expand_as(summaryTokens), summaryTokens);
    }
    torch::Tensor g;
    for (std::size_t i = 0; i < globalEmbeddings_->size(); ++i) {
        auto e = globalEmbeddings_[i]->as<torch::nn::Embedding>()->forward(globals.select(1, i));
        g = g.defined() ? g + e : e;
    }
    auto tokens = torch::cat({curveTokens, summaryTokens, g.unsqueeze(1)}, 1);
    auto mask = dropped.to(torch::kBool).view({B, 1, 1});
    return torch::where(mask, null_.view({1, 1, dc}).expand_as(tokens), tokens);
}

torch::Tensor LatentDiffusionImpl::forward(const torch::Tensor& xt, const torch::Tensor& t,
                                           const torch::Tensor& condition,
                                           const torch::Tensor& curve,
                                           const torch::Tensor& dropped) {
    if (xt.size(2) % 2 != 0)
        throw std::invalid_argument("LatentDiffusion: the latent length must be even");
    auto temb = timestepEmbedding(t);
    torch::Tensor input = xt;
    if (config_.curveInput) {
        const auto B = xt.size(0), L = xt.size(2);
        if (!curve.defined() || curve.dim() != 3 || curve.size(0) != B ||
            curve.size(1) != config_.curveChannels || curve.size(2) != L || !dropped.defined() ||
            dropped.numel() != B)
            throw std::invalid_argument(
                "LatentDiffusion: the model takes the attention curve [B, curve channels, L] "
                "and the dropped rows [B] beside x_t");
        auto keep = (1 - dropped.to(torch::kFloat)).view({B, 1, 1});
        input = torch::cat({xt, curve * keep, keep.expand({B, 1, L})}, 1);
    }
    auto h0 = in_(input);
    h0 = cross0_(res0_(h0, temb), condition);
    auto h1 = down_(h0);
    h1 = cross1_(res1_(h1, temb), condition);
    h1 = mid1_(h1, temb);
    h1 = midSelf_(h1, h1.transpose(1, 2));
    h1 = mid2_(h1, temb);
    auto u = up_(F::interpolate(
        h1,
        F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0}).mode(torch::kNearest)));
    u = crossUp_(resUp_(torch::cat({u, h0}, 1), temb), condition);
    return out_(F::silu(outNorm_(u)));
}

} // namespace moodsteer::models
