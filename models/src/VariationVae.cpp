#include "models/VariationVae.h"

#include <torch/nn/functional.h>
#include <torch/torch.h>

#include <numeric>
#include <stdexcept>

namespace moodsteer::models {

namespace F = torch::nn::functional;

int VariationVaeConfig::categoricalTotal() const {
    return std::accumulate(categoricalSizes.begin(), categoricalSizes.end(), 0);
}

nlohmann::json VariationVaeConfig::toJson() const {
    return {{"categorical_sizes", categoricalSizes},
            {"bernoulli_fields", bernoulliFields},
            {"global_sizes", globalSizes},
            {"subspace_names", subspaceNames},
            {"subspace_fields", subspaceFields},
            {"subspace_bernoulli", subspaceBernoulli},
            {"latent_per_subspace", latentPerSubspace},
            {"encoder_width", encoderWidth},
            {"decoder_width", decoderWidth},
            {"blocks_per_stage", blocksPerStage}};
}

VariationVaeConfig VariationVaeConfig::fromJson(const nlohmann::json& j) {
    VariationVaeConfig c;
    try {
        c.categoricalSizes = j.at("categorical_sizes").get<std::vector<int>>();
        c.bernoulliFields = j.at("bernoulli_fields").get<int>();
        c.globalSizes = j.at("global_sizes").get<std::vector<int>>();
        c.subspaceNames = j.at("subspace_names").get<std::vector<std::string>>();
        c.subspaceFields = j.at("subspace_fields").get<std::vector<std::vector<int>>>();
        c.subspaceBernoulli = j.at("subspace_bernoulli").get<std::vector<int>>();
        c.latentPerSubspace = j.at("latent_per_subspace").get<int>();
        c.encoderWidth = j.at("encoder_width").get<int>();
        c.decoderWidth = j.at("decoder_width").get<int>();
        c.blocksPerStage = j.at("blocks_per_stage").get<int>();
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("vae config: ") + e.what());
    }
    const auto n = c.subspaceNames.size();
    if (n == 0 || c.subspaceFields.size() != n || c.subspaceBernoulli.size() != n)
        throw std::runtime_error("vae config: subspace_names, subspace_fields and "
                                 "subspace_bernoulli must have the same non-zero length");
    for (const auto& fields : c.subspaceFields)
        for (int f : fields)
            if (f < 0 || f >= static_cast<int>(c.categoricalSizes.size()))
                throw std::runtime_error("vae config: subspace field " + std::to_string(f) +
                                         " is not a categorical field");
    if (c.latentPerSubspace < 1 || c.encoderWidth < 8 || c.decoderWidth < 8 || c.encoderWidth % 8 ||
        c.decoderWidth % 8 || c.blocksPerStage < 1)
        throw std::runtime_error("vae config: widths must be positive multiples of 8");
    return c;
}

VaeResBlockImpl::VaeResBlockImpl(int channels, int dilation) {
    norm1_ = register_module("norm1", torch::nn::GroupNorm(8, channels));
    conv1_ = register_module(
        "conv1",
        torch::nn::Conv1d(
            torch::nn::Conv1dOptions(channels, channels, 3).padding(dilation).dilation(dilation)));
    norm2_ = register_module("norm2", torch::nn::GroupNorm(8, channels));
    conv2_ = register_module(
        "conv2", torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, channels, 3).padding(1)));
}

torch::Tensor VaeResBlockImpl::forward(const torch::Tensor& x) {
    auto h = conv1_(F::gelu(norm1_(x)));
    return x + conv2_(F::gelu(norm2_(h)));
}

VaeEncoderBranchImpl::VaeEncoderBranchImpl(const VariationVaeConfig& c, int subspace)
    : fields_(c.subspaceFields[subspace]), readsBernoulli_(c.subspaceBernoulli[subspace] != 0),
      blocksPerStage_(c.blocksPerStage) {
    const int w = c.encoderWidth;
    embeddings_ = register_module("embeddings", torch::nn::ModuleList());
    for (int f : fields_)
        embeddings_->push_back(torch::nn::Embedding(c.categoricalSizes[f], w));
    globalEmbeddings_ = register_module("global_embeddings", torch::nn::ModuleList());
    for (int g : c.globalSizes)
        globalEmbeddings_->push_back(torch::nn::Embedding(g, w));
    if (readsBernoulli_)
        bernoulliIn_ = register_module("bernoulli_in", torch::nn::Linear(c.bernoulliFields, w));
    stem_ =
        register_module("stem", torch::nn::Conv1d(torch::nn::Conv1dOptions(w, w, 3).padding(1)));
    // Each stage: blocks with dilations 1, 2, 4, ... then a stride-2 downsampling.
    blocks_ = register_module("blocks", torch::nn::ModuleList());
    for (int stage = 0; stage < 3; ++stage)
        for (int b = 0; b < c.blocksPerStage; ++b)
            blocks_->push_back(VaeResBlock(w, 1 << b));
    down1_ = register_module(
        "down1", torch::nn::Conv1d(torch::nn::Conv1dOptions(w, w, 4).stride(2).padding(1)));
    down2_ = register_module(
        "down2", torch::nn::Conv1d(torch::nn::Conv1dOptions(w, w, 4).stride(2).padding(1)));
    head_ = register_module("head", torch::nn::Conv1d(w, 2 * c.latentPerSubspace, 1));
}

torch::Tensor VaeEncoderBranchImpl::forward(const torch::Tensor& cat, const torch::Tensor& bern,
                                            const torch::Tensor& globals) {
    torch::Tensor h;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        auto e = embeddings_[i]->as<torch::nn::Embedding>()->forward(cat.select(2, fields_[i]));
        h = h.defined() ? h + e : e;
    }
    if (readsBernoulli_) h = h + bernoulliIn_(bern);
    for (std::size_t g = 0; g < globalEmbeddings_->size(); ++g)
        h = h + globalEmbeddings_[g]
                    ->as<torch::nn::Embedding>()
                    ->forward(globals.select(1, g))
                    .unsqueeze(1);
    h = stem_(h.transpose(1, 2)); // [B, w, T]
    int b = 0;
    for (int stage = 0; stage < 3; ++stage) {
        for (int i = 0; i < blocksPerStage_; ++i)
            h = blocks_[b++]->as<VaeResBlock>()->forward(h);
        if (stage == 0) h = down1_(h);
        if (stage == 1) h = down2_(h);
    }
    return head_(F::gelu(h));
}

VariationVaeImpl::VariationVaeImpl(VariationVaeConfig config) : config_(std::move(config)) {
    const auto& c = config_;
    const int d = c.decoderWidth;
    branches_ = register_module("branches", torch::nn::ModuleList());
    for (std::size_t s = 0; s < c.subspaceNames.size(); ++s)
        branches_->push_back(VaeEncoderBranch(c, static_cast<int>(s)));
    decoderIn_ = register_module(
        "decoder_in",
        torch::nn::Conv1d(torch::nn::Conv1dOptions(c.latentChannels(), d, 3).padding(1)));
    decoderGlobals_ = register_module("decoder_globals", torch::nn::ModuleList());
    for (int g : c.globalSizes)
        decoderGlobals_->push_back(torch::nn::Embedding(g, d));
    blocks_ = register_module("blocks", torch::nn::ModuleList());
    for (int stage = 0; stage < 3; ++stage)
        for (int b = 0; b < c.blocksPerStage; ++b)
            blocks_->push_back(VaeResBlock(d, 1 << b));
    up1_ = register_module("up1",
                           torch::nn::ConvTranspose1d(
                               torch::nn::ConvTranspose1dOptions(d, d, 4).stride(2).padding(1)));
    up2_ = register_module("up2",
                           torch::nn::ConvTranspose1d(
                               torch::nn::ConvTranspose1dOptions(d, d, 4).stride(2).padding(1)));
    head_ =
        register_module("head", torch::nn::Conv1d(d, c.categoricalTotal() + c.bernoulliFields, 1));
}

VaePosterior VariationVaeImpl::encode(const torch::Tensor& cat, const torch::Tensor& bern,
                                      const torch::Tensor& globals) {
    if (cat.dim() != 3 || cat.size(1) % VariationVaeConfig::kDownsample != 0)
        throw std::invalid_argument("VariationVae::encode: frames must be a multiple of 4");
    std::vector<torch::Tensor> mus, logvars;
    const int L = config_.latentPerSubspace;
    for (std::size_t s = 0; s < branches_->size(); ++s) {
        auto out = branches_[s]->as<VaeEncoderBranch>()->forward(cat, bern, globals);
        mus.push_back(out.narrow(1, 0, L));
        // Bounded log-variance: keeps exp() finite early in training.
        logvars.push_back(out.narrow(1, L, L).clamp(-12.0, 6.0));
    }
    return {torch::cat(mus, 1), torch::cat(logvars, 1)};
}

torch::Tensor VariationVaeImpl::decode(const torch::Tensor& z, const torch::Tensor& globals) {
    torch::Tensor g;
    for (std::size_t i = 0; i < decoderGlobals_->size(); ++i) {
        auto e = decoderGlobals_[i]->as<torch::nn::Embedding>()->forward(globals.select(1, i));
        g = g.defined() ? g + e : e;
    }
    g = g.unsqueeze(2); // [B, d, 1], added at every resolution
    auto h = decoderIn_(z) + g;
    int b = 0;
    for (int stage = 0; stage < 3; ++stage) {
        for (int i = 0; i < config_.blocksPerStage; ++i)
            h = blocks_[b++]->as<VaeResBlock>()->forward(h);
        if (stage == 0) h = up1_(h) + g;
        if (stage == 1) h = up2_(h) + g;
    }
    return head_(F::gelu(h)).transpose(1, 2); // [B, T, outputs]
}

VaeLosses VariationVaeImpl::losses(const torch::Tensor& logits, const torch::Tensor& cat,
                                   const torch::Tensor& bern) const {
    VaeLosses out;
    int offset = 0;
    torch::Tensor total;
    for (std::size_t f = 0; f < config_.categoricalSizes.size(); ++f) {
        const int n = config_.categoricalSizes[f];
        auto l = logits.narrow(2, offset, n).reshape({-1, n});
        auto nll = F::cross_entropy(l, cat.select(2, f).reshape({-1}));
        out.fieldNll.push_back(nll.item<double>());
        total = total.defined() ? total + nll : nll;
        offset += n;
    }
    auto drums = F::binary_cross_entropy_with_logits(
                     logits.narrow(2, offset, config_.bernoulliFields), bern,
                     F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kMean)) *
                 config_.bernoulliFields;
    out.fieldNll.push_back(drums.item<double>());
    out.reconstruction = total + drums;
    return out;
}

std::pair<torch::Tensor, torch::Tensor>
VariationVaeImpl::argmax(const torch::Tensor& logits) const {
    std::vector<torch::Tensor> fields;
    int offset = 0;
    for (int n : config_.categoricalSizes) {
        fields.push_back(logits.narrow(2, offset, n).argmax(2));
        offset += n;
    }
    auto bern = (logits.narrow(2, offset, config_.bernoulliFields) > 0).to(torch::kLong);
    return {torch::stack(fields, 2), bern};
}

} // namespace moodsteer::models
