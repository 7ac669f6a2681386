#include "models/MusicgenDecoder.h"

#include "FusedDecodeStep.h"
#include "HugePages.h"
#include "MusicgenDecoderLayer.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <malloc.h>
#include <sstream>
#include <stdexcept>

namespace moodsteer::models {
namespace {

std::string shapeText(c10::IntArrayRef s) {
    std::ostringstream o;
    o << s;
    return o.str();
}

[[noreturn]] void bad(const std::string& what) {
    throw std::invalid_argument("MusicgenForCausalLM: " + what);
}

} // namespace

torch::Tensor sinusoidalPositions(int64_t positions, int64_t dim) {
    if (positions < 0 || dim < 4)
        throw std::invalid_argument("sinusoidalPositions: need positions >= 0 and dim >= 4, got " +
                                    std::to_string(positions) + " x " + std::to_string(dim));
    torch::NoGradGuard noGrad;
    // Same float32 operations, in the same order, as MusicgenSinusoidalPositionalEmbedding.
    const int64_t half = dim / 2;
    const double step = std::log(10000.0) / static_cast<double>(half - 1);
    auto freq = at::exp(at::arange(half, at::kFloat) * -step);
    auto angle = at::arange(positions, at::kFloat).unsqueeze(1) * freq.unsqueeze(0);
    auto table = at::cat({at::cos(angle), at::sin(angle)}, 1).view({positions, -1});
    if (dim % 2 == 1) table = at::cat({table, at::zeros({positions, 1}, at::kFloat)}, 1);
    return table;
}

KvCachePrecision parseKvCachePrecision(const std::string& name) {
    if (name == "f32") return KvCachePrecision::F32;
    if (name == "bf16") return KvCachePrecision::BF16;
    if (name == "int8") return KvCachePrecision::Int8;
    throw std::invalid_argument("unknown KV cache precision '" + name +
                                "' (use f32, bf16 or int8)");
}

std::string kvCachePrecisionName(KvCachePrecision p) {
    switch (p) {
    case KvCachePrecision::BF16:
        return "bf16";
    case KvCachePrecision::Int8:
        return "int8";
    default:
        return "f32";
    }
}

namespace {

void checkCacheShape(int64_t layers, int64_t batch, int64_t capacity) {
    if (layers <= 0 || batch <= 0 || capacity <= 0)
        throw std::invalid_argument("SelfAttentionCache: layers, batch and capacity must be "
                                    "positive, got " +
                                    std::to_string(layers) + ", " + std::to_string(batch) + ", " +
                                    std::to_string(capacity));
}

} // namespace

SelfAttentionCache::SelfAttentionCache(int64_t layers, int64_t batch, int64_t heads,
                                       int64_t capacity, int64_t headDim,
                                       const torch::TensorOptions& options)
    : capacity_(capacity), batch_(batch),
      precision_(options.dtype() == caffe2::TypeMeta::Make<c10::BFloat16>()
                     ? KvCachePrecision::BF16
                     : KvCachePrecision::F32) {
    checkCacheShape(layers, batch, capacity);
    layers_.reserve(layers);
    for (int64_t i = 0; i < layers; ++i) {
        LayerKv kv;
        kv.k = torch::empty({batch, heads, capacity, headDim}, options);
        kv.v = torch::empty({batch, heads, capacity, headDim}, options);
        layers_.push_back(std::move(kv));
    }
}

SelfAttentionCache::SelfAttentionCache(int64_t layers, int64_t batch, int64_t heads,
                                       int64_t capacity, int64_t headDim,
                                       KvCachePrecision precision, torch::Device device)
    : capacity_(capacity), batch_(batch), precision_(precision) {
    checkCacheShape(layers, batch, capacity);
    const auto type = precision == KvCachePrecision::F32    ? at::kFloat
                      : precision == KvCachePrecision::BF16 ? at::kBFloat16
                                                            : at::kChar;
    const auto options = torch::TensorOptions().dtype(type).device(device);
    layers_.reserve(layers);
    for (int64_t i = 0; i < layers; ++i) {
        LayerKv kv;
        kv.k = torch::empty({batch, heads, capacity, headDim}, options);
        kv.v = torch::empty({batch, heads, capacity, headDim}, options);
        if (precision == KvCachePrecision::Int8) {
            kv.kScale = torch::empty({batch, heads, capacity}, options.dtype(at::kFloat));
            kv.vScale = torch::empty({batch, heads, capacity}, options.dtype(at::kFloat));
        }
        layers_.push_back(std::move(kv));
    }
}

void SelfAttentionCache::truncate(int64_t length) {
    if (length < 0 || length > length_)
        throw std::invalid_argument("SelfAttentionCache::truncate: length " +
                                    std::to_string(length) + " outside [0, " +
                                    std::to_string(length_) + "]");
    length_ = length;
}

void SelfAttentionCache::assumeFilled(int64_t length) {
    if (length < 0 || length > capacity_)
        throw std::invalid_argument("SelfAttentionCache::assumeFilled: length " +
                                    std::to_string(length) + " outside [0, " +
                                    std::to_string(capacity_) + "]");
    length_ = length;
}

double SelfAttentionCache::bytesPerPosition() const {
    double bytes = 0;
    for (const auto& kv : layers_) {
        const double rows = static_cast<double>(kv.k.numel()) / static_cast<double>(capacity_);
        bytes += 2 * rows * static_cast<double>(kv.k.element_size());
        if (kv.int8()) bytes += 2 * static_cast<double>(kv.kScale.numel()) / capacity_ * 4.0;
    }
    return bytes;
}

MusicgenForCausalLMImpl::MusicgenForCausalLMImpl(const MusicgenDecoderConfig& config)
    : config_(config) {
    build(nullptr);
}

MusicgenForCausalLMImpl::MusicgenForCausalLMImpl(const MusicgenDecoderConfig& config,
                                                 const DirectLoad& direct)
    : config_(config) {
    const auto p = parseWeightPrecision(direct.precision);
    if (p == WeightPrecision::F32)
        bad("direct loading is for bf16, int8 or int4 weights (f32 is the plain constructor)");
    precision_ = p;
    build(&direct);
}

void MusicgenForCausalLMImpl::build(const DirectLoad* direct) {
    config_.validate();
    const auto& c = config_;
    // The module tree is the checkpoint's key tree: model.decoder.{embed_tokens, layers,
    // layer_norm} and lm_heads.
    model_ = register_module("model", std::make_shared<torch::nn::Module>("MusicgenModel"));
    decoder_ =
        model_->register_module("decoder", std::make_shared<torch::nn::Module>("MusicgenDecoder"));
    embedTokens_ = decoder_->register_module("embed_tokens", torch::nn::ModuleList());
    for (int64_t k = 0; k < c.num_codebooks; ++k) {
        embeddings_.emplace_back(c.vocab_size + 1, c.hidden_size); // + 1: the pad/BOS row
        embedTokens_->push_back(embeddings_.back());
    }
    layerList_ = decoder_->register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        layers_.push_back(std::make_shared<MusicgenDecoderLayerImpl>(c));
        layerList_->push_back(layers_.back());
        if (!direct) continue;
        torch::NoGradGuard noGrad;
        if (direct->fillLayer) direct->fillLayer(i, *layers_.back());
        layers_.back()->setPrecision(precision_);
        released_ += layers_.back()->releaseFloatWeights();
        // glibc keeps the freed float32 layer in its heap (fragmented between the reduced
        // copies), so without this the process would still grow by the float32 model.
        malloc_trim(0);
    }
    layerNorm_ = decoder_->register_module(
        "layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size})
                                               .eps(c.layer_norm_eps)
                                               .elementwise_affine(true)));
    lmHeads_ = register_module("lm_heads", torch::nn::ModuleList());
    for (int64_t k = 0; k < c.num_codebooks; ++k) {
        heads_.emplace_back(torch::nn::LinearOptions(c.hidden_size, c.vocab_size).bias(false));
        lmHeads_->push_back(heads_.back());
    }
    positionTable_ = sinusoidalPositions(c.max_position_embeddings, c.hidden_size);
}

MusicgenForCausalLMImpl::~MusicgenForCausalLMImpl() = default;

torch::Tensor MusicgenForCausalLMImpl::positions(int64_t offset, int64_t count) const {
    if (offset + count <= positionTable_.size(0)) return positionTable_.narrow(0, offset, count);
    // Past max_position_embeddings upstream recomputes a longer table; rows do not depend
    // on the table length, so computing them here gives the same values.
    return sinusoidalPositions(offset + count, config_.hidden_size).narrow(0, offset, count);
}

CrossAttentionCache MusicgenForCausalLMImpl::precomputeCross(const torch::Tensor& encoderStates,
                                                             const torch::Tensor& encoderMask) {
    const int64_t d = config_.hidden_size;
    if (encoderStates.dim() != 3 || encoderStates.size(2) != d)
        bad("encoderStates must be [B, S, " + std::to_string(d) + "], got " +
            shapeText(encoderStates.sizes()));
    if (encoderStates.size(0) == 0 || encoderStates.size(1) == 0)
        bad("encoderStates is empty: " + shapeText(encoderStates.sizes()));
    if (encoderMask.dim() != 2 || encoderMask.size(0) != encoderStates.size(0) ||
        encoderMask.size(1) != encoderStates.size(1))
        bad("encoderMask must be [B, S] = " + shapeText(encoderStates.sizes().slice(0, 2)) +
            ", got " + shapeText(encoderMask.sizes()));
    if (((encoderMask != 0) & (encoderMask != 1)).any().item<bool>())
        bad("encoderMask must hold only 0 and 1");
    const auto& param = layerNorm_->weight;
    auto states = encoderStates.to(param.options());
    const int64_t batch = states.size(0), length = states.size(1);

    CrossAttentionCache cross;
    auto keep = (encoderMask == 1).to(param.device());
    // transformers' _prepare_4d_attention_mask: (1 - mask) with every non-zero set to min.
    cross.additiveMask = MusicgenAttentionImpl::additiveMask(
        {batch, 1, 1, length}, keep.view({batch, 1, 1, length}), param.options());
    cross.fullyMasked = keep.any(1).logical_not().view({batch, 1, 1});
    cross.anyMasked = !keep.all().item<bool>();
    cross.anyFullyMasked = cross.fullyMasked.any().item<bool>();
    cross.k.reserve(layers_.size());
    cross.v.reserve(layers_.size());
    // An item whose memory is all padding (the unconditional half of a guided batch) attends
    // to nothing and outputs exactly 0 whatever its keys and values hold: project only the
    // others (half the ~2.4 GFLOP of a guided musicgen-small prompt) and leave its rows 0.
    torch::Tensor attending;
    if (cross.anyFullyMasked)
        attending = cross.fullyMasked.view({batch}).logical_not().nonzero().view({-1});
    const int64_t heads = config_.num_attention_heads, headDim = config_.headDim();
    for (auto& layer : layers_) {
        if (!attending.defined()) {
            auto [k, v] = layer->encoder_attn->projectMemory(states);
            cross.k.push_back(std::move(k));
            cross.v.push_back(std::move(v));
            continue;
        }
        auto k = at::zeros({batch, heads, length, headDim}, param.options());
        auto v = at::zeros_like(k);
        if (attending.numel() > 0) {
            auto [ka, va] = layer->encoder_attn->projectMemory(states.index_select(0, attending));
            k.index_copy_(0, attending, ka);
            v.index_copy_(0, attending, va);
        }
        cross.k.push_back(std::move(k));
        cross.v.push_back(std::move(v));
    }
    return cross;
}

KvCachePrecision MusicgenForCausalLMImpl::defaultReducedKvCache(WeightPrecision weights) {
    // Quiet machine, musicgen-small: with int8 weights the int8 cache is as close to the
    // reference as bf16's (0.011 relative logit error, both) and 10-13 % faster at 1,000-1,500
    // cached positions; with bf16 weights it is 5-7 % faster there but 1.5x further (0.0048
    // against 0.0032), so bf16 weights keep a bf16 cache. int4 weights are there for speed,
    // and their own error is far larger than the int8 cache's: int8.
    return weights == WeightPrecision::Int8 || weights == WeightPrecision::Int4
               ? KvCachePrecision::Int8
               : KvCachePrecision::BF16;
}

KvCachePrecision MusicgenForCausalLMImpl::defaultKvCache() const {
    // f32 stays the reference, cache included; with reduced weights the cache is read
    // every step and at long contexts streams more bytes than the weights.
    return precision_ == WeightPrecision::F32 ? KvCachePrecision::F32
                                              : defaultReducedKvCache(precision_);
}

SelfAttentionCache MusicgenForCausalLMImpl::makeCache(int64_t batch, int64_t capacity) const {
    return makeCache(batch, capacity, defaultKvCache());
}

SelfAttentionCache MusicgenForCausalLMImpl::makeCache(int64_t batch, int64_t capacity,
                                                      KvCachePrecision kv) const {
    const auto& w = layerNorm_->weight;
    // A float32 cache follows the parameters' dtype (a model moved to() another dtype).
    if (kv == KvCachePrecision::F32 && w.scalar_type() != at::kFloat)
        return SelfAttentionCache(config_.num_hidden_layers, batch, config_.num_attention_heads,
                                  capacity, config_.headDim(), w.options());
    return SelfAttentionCache(config_.num_hidden_layers, batch, config_.num_attention_heads,
                              capacity, config_.headDim(), kv, w.device());
}

torch::Tensor MusicgenForCausalLMImpl::embed(const torch::Tensor& ids, int64_t batch, int64_t steps,
                                             int64_t offset) {
    auto grid = ids.reshape({batch, config_.num_codebooks, steps});
    // Upstream: sum([embed_tokens[k](ids[:, k]) for k]), left to right, unscaled.
    torch::Tensor sum;
    for (int64_t k = 0; k < config_.num_codebooks; ++k) {
        auto e = at::embedding(embeddings_[k]->weight, grid.select(1, k));
        sum = k == 0 ? e : sum + e;
    }
    return sum + positions(offset, steps).to(sum.options()); // a no-op in float32
}

bool MusicgenForCausalLMImpl::headsFused() const {
    return fastHeads_.usable();
}

torch::Tensor MusicgenForCausalLMImpl::forward(const torch::Tensor& ids,
                                               const CrossAttentionCache& cross,
                                               SelfAttentionCache* cache, const DecoderHooks* hooks,
                                               std::vector<torch::Tensor>* hiddenStates) {
    return logitsOf(decode(ids, cross, cache, hooks, hiddenStates));
}

torch::Tensor MusicgenForCausalLMImpl::forwardLast(const torch::Tensor& ids,
                                                   const CrossAttentionCache& cross,
                                                   SelfAttentionCache* cache,
                                                   const DecoderHooks* hooks) {
    const auto hidden = decode(ids, cross, cache, hooks, nullptr);
    if (hidden.size(1) == 1) return logitsOf(hidden); // a decode step: no view to make
    return logitsOf(hidden.narrow(1, hidden.size(1) - 1, 1).contiguous());
}

torch::Tensor MusicgenForCausalLMImpl::decode(const torch::Tensor& ids,
                                              const CrossAttentionCache& cross,
                                              SelfAttentionCache* cache, const DecoderHooks* hooks,
                                              std::vector<torch::Tensor>* hiddenStates) {
    const auto& c = config_;
    if (ids.dim() != 2 || ids.size(0) == 0 || ids.size(1) == 0 ||
        ids.size(0) % c.num_codebooks != 0)
        bad("ids must be [B*" + std::to_string(c.num_codebooks) + ", T] with T >= 1, got " +
            shapeText(ids.sizes()));
    if (at::isFloatingType(ids.scalar_type()) || ids.scalar_type() == at::kBool)
        bad("ids must be an integer tensor");
    const int64_t batch = ids.size(0) / c.num_codebooks, steps = ids.size(1);
    {
        auto [lo, hi] = at::aminmax(ids);
        if (lo.item<int64_t>() < 0 || hi.item<int64_t>() > c.vocab_size)
            bad("ids must lie in [0, vocab_size=" + std::to_string(c.vocab_size) + "], got [" +
                std::to_string(lo.item<int64_t>()) + ", " + std::to_string(hi.item<int64_t>()) +
                "]");
    }
    if (cross.batch() != batch || cross.k.size() != layers_.size() ||
        cross.v.size() != layers_.size())
        bad("the cross-attention cache holds " + std::to_string(cross.batch()) + " item(s) and " +
            std::to_string(cross.k.size()) + " layer(s), the ids " + std::to_string(batch) +
            " item(s) and the model " + std::to_string(layers_.size()) +
            " layer(s); build it with precomputeCross()");
    const int64_t past = cache ? cache->length() : 0;
    if (cache) {
        if (cache->batch() != batch || cache->layers_.size() != layers_.size())
            bad("the self-attention cache is for batch " + std::to_string(cache->batch()) +
                " and " + std::to_string(cache->layers_.size()) + " layer(s), the ids are batch " +
                std::to_string(batch) + "; build it with makeCache()");
        if (past + steps > cache->capacity())
            bad("the self-attention cache is full: " + std::to_string(past) + " + " +
                std::to_string(steps) + " positions exceed its capacity " +
                std::to_string(cache->capacity()));
    }

    auto hidden = embed(ids.to(at::kLong), batch, steps, past);
    if (hooks && hooks->intervene) hooks->intervene(-1, hidden);
    if (hooks && hooks->onResidual) hooks->onResidual(-1, hidden);
    if (hiddenStates) {
        hiddenStates->clear();
        hiddenStates->push_back(hidden);
    }
    const int last = static_cast<int>(layers_.size()) - 1;
    // The one-token step of incremental decoding takes the fused path where it can (checked
    // per layer: a hook may hand back a tensor it cannot use).
    const bool fusable = fusedDecode_ && cache && steps == 1 && batch <= kFusedDecodeMaxItems &&
                         !at::GradMode::is_enabled();
    for (int i = 0; i <= last; ++i) {
        if (fusable && fusedDecodeSupported(*layers_[i], hidden, i, cross, cache->layers_[i]))
            hidden =
                fusedDecodeLayer(*layers_[i], hidden, i, cross, cache->layers_[i], past, hooks);
        else
            hidden = layers_[i]->forward(hidden, i, cross, cache ? &cache->layers_[i] : nullptr,
                                         past, hooks);
        if (hooks && hooks->intervene) hooks->intervene(i, hidden);
        if (hooks && hooks->onResidual) hooks->onResidual(i, hidden);
        if (hiddenStates && i < last) hiddenStates->push_back(hidden);
    }
    hidden = layerNorm_(hidden);
    if (hiddenStates) hiddenStates->push_back(hidden);
    if (cache) cache->length_ = past + steps;
    return hidden;
}

torch::Tensor MusicgenForCausalLMImpl::logitsOf(const torch::Tensor& hidden) {
    const auto& c = config_;
    const int64_t batch = hidden.size(0), steps = hidden.size(1);
    torch::Tensor logits;
    if (headsFused()) {
        logits = fastHeads_(hidden)
                     .view({batch, steps, c.num_codebooks, c.vocab_size})
                     .permute({0, 2, 1, 3})
                     .contiguous();
    } else {
        std::vector<torch::Tensor> perHead;
        for (auto& h : heads_)
            perHead.push_back(at::linear(hidden, h->weight));
        logits = at::stack(perHead, 1); // [B, K, T, V], as upstream
    }
    return logits;
}

void MusicgenForCausalLMImpl::finishDirectLoad() {
    if (released_ == 0) bad("finishDirectLoad() without direct loading");
    torch::NoGradGuard noGrad;
    // Stacked first and the heads freed, so that they do not exist twice in float32 while
    // converting (the same rows in the same order as ReducedLinear(heads) stacks them).
    std::vector<torch::Tensor> heads;
    for (auto& h : heads_)
        heads.push_back(h->weight);
    auto stacked = at::cat(heads, 0);
    heads.clear();
    for (auto& h : heads_) {
        released_ += h->weight.numel();
        h->weight.set_data(at::empty({0}, h->weight.options()));
    }
    fastHeads_ = ReducedLinear(stacked, precision_);
    fastHeads_.releaseSources();
    stacked = torch::Tensor();
    malloc_trim(0);
}

void MusicgenForCausalLMImpl::finalizeWeights() {
    // Directly loaded: the reduced copies are all there is (built while loading).
    if (released_ > 0) return;
    torch::NoGradGuard noGrad;
    // Every matrix a decode step streams moves to huge pages (see HugePages.h); the
    // parameters keep their names and stay the only owners of the values.
    for (auto& layer : layers_)
        for (auto* w :
             {&layer->self_attn->q_proj->weight, &layer->self_attn->k_proj->weight,
              &layer->self_attn->v_proj->weight, &layer->self_attn->out_proj->weight,
              &layer->encoder_attn->q_proj->weight, &layer->encoder_attn->out_proj->weight,
              &layer->fc1->weight, &layer->fc2->weight})
            if (w->device().is_cpu() && w->is_contiguous()) w->set_data(onHugePages(*w));
    for (auto& h : heads_)
        if (h->weight.device().is_cpu() && h->weight.is_contiguous())
            h->weight.set_data(onHugePages(h->weight));
    setPrecision(precisionName(precision_)); // rebuild the inference copies
}

void MusicgenForCausalLMImpl::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
    torch::nn::Module::to(device, dtype, non_blocking);
    finalizeWeights();
}

void MusicgenForCausalLMImpl::to(torch::Dtype dtype, bool non_blocking) {
    torch::nn::Module::to(dtype, non_blocking);
    finalizeWeights();
}

void MusicgenForCausalLMImpl::to(torch::Device device, bool non_blocking) {
    torch::nn::Module::to(device, non_blocking);
    finalizeWeights();
}

void MusicgenForCausalLMImpl::setPrecision(const std::string& precision) {
    const auto p = parseWeightPrecision(precision);
    if (released_ > 0) {
        if (p == precision_) return;
        throw std::runtime_error("the model was loaded directly at " + precisionName(precision_) +
                                 " (its float32 weights were not kept, to fit in memory): "
                                 "load it again for " +
                                 precision);
    }
    torch::NoGradGuard noGrad;
    // Reduced copies need contiguous float32 CPU parameters; another dtype or device (after
    // to()) runs the plain path.
    if (layerNorm_->weight.scalar_type() != at::kFloat || !layerNorm_->weight.device().is_cpu()) {
        if (p != WeightPrecision::F32)
            bad("setPrecision(\"" + precision + "\") needs float32 CPU parameters, they are " +
                std::string(c10::toString(layerNorm_->weight.scalar_type())));
        for (auto& layer : layers_)
            layer->clearPrecision();
        fastHeads_ = ReducedLinear();
        precision_ = p;
        return;
    }
    for (auto& layer : layers_)
        layer->setPrecision(p);
    std::vector<torch::Tensor> heads;
    for (auto& h : heads_)
        heads.push_back(h->weight);
    fastHeads_ = ReducedLinear(heads, p);
    precision_ = p;
}

double MusicgenForCausalLMImpl::decodeWeightBytes() const {
    double bytes = fastHeads_.bytes();
    for (const auto& layer : layers_)
        bytes += layer->decodeBytes();
    return bytes;
}

bool MusicgenForCausalLMImpl::checkPositionTable(StateDictLoader& loader,
                                                 const std::string& prefix) const {
    const std::string key = prefix + positionTableKey();
    if (!loader.has(key)) return false;
    auto table = loader.take(key, {config_.max_position_embeddings, config_.hidden_size});
    const double diff =
        (table.to(at::kDouble) - positionTable_.to(at::kDouble)).abs().max().item<double>();
    if (!(diff <= 1e-5))
        throw std::runtime_error("'" + loader.file().path() + "': tensor '" + key +
                                 "' is not the sinusoid table this decoder computes (max abs "
                                 "difference " +
                                 std::to_string(diff) + ")");
    return true;
}

void MusicgenForCausalLMImpl::loadFrom(StateDictLoader& loader, const std::string& prefix) {
    loader.load(*this, prefix);
    checkPositionTable(loader, prefix);
    finalizeWeights();
}

} // namespace moodsteer::models
