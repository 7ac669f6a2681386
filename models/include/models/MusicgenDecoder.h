// The MusicGen decoder language model (transformers 4.35 MusicgenForCausalLM) for fast
// incremental decoding: K summed codebook embeddings + sinusoidal positions, pre-LayerNorm
// decoder layers (causal self-attention, cross-attention on the text memory, GELU MLP), a
// final LayerNorm and K bias-free lm heads. Module names equal the checkpoint keys below the
// "decoder." prefix of a MusicGen model.safetensors, so StateDictLoader loads it directly.
//
// Threads: a model and its caches belong to one thread at a time (the engine thread); the
// weights are only read by forward(), so several threads may run forward() concurrently on
// one model as long as each has its own caches and nobody loads or finalises weights.
#pragma once

#include "models/ReducedLinear.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace moodsteer::models {

class StateDictLoader;
class MusicgenDecoderLayerImpl;

/// Mirrors config.json "decoder" (transformers MusicgenDecoderConfig); upstream defaults in
/// the comments are used when a field is absent, as transformers does.
struct MusicgenDecoderConfig {
    int64_t vocab_size = 2048;                // 2048; also the pad/BOS id P (tables have P+1 rows)
    int64_t max_position_embeddings = 2048;   // 2048
    int64_t num_hidden_layers = 24;           // 24
    int64_t ffn_dim = 4096;                   // 4096
    int64_t num_attention_heads = 16;         // 16
    int64_t hidden_size = 1024;               // 1024
    int64_t num_codebooks = 4;                // 4
    std::string activation_function = "gelu"; // "gelu" (exact erf form); "relu" also accepted
    bool scale_embedding = false;             // false; parsed but, as upstream, never applied
    int64_t pad_token_id = 2048;              // 2048
    int64_t bos_token_id = 2048;              // 2048
    double layer_norm_eps = 1e-5;             // not in config.json: nn.LayerNorm's default

    int64_t headDim() const { return hidden_size / num_attention_heads; }

    /// Accepts the "decoder" object or a whole MusicGen config.json (then uses its "decoder").
    /// Throws std::invalid_argument naming the field for a wrong type or an invalid value.
    static MusicgenDecoderConfig fromJson(const nlohmann::json& j);
    /// Throws std::invalid_argument naming the first inconsistent field.
    void validate() const;
};

/// Cross-attention keys and values of the text memory, computed once per generation by
/// precomputeCross(). Rows whose mask is all zero (the unconditional CFG half) output exactly
/// 0 from every cross-attention block.
struct CrossAttentionCache {
    std::vector<torch::Tensor> k, v; ///< per layer, [B, H, S, head_dim]
    torch::Tensor additiveMask;      ///< [B, 1, 1, S]: 0 = keep, finfo(float).min = masked
    torch::Tensor fullyMasked;       ///< [B, 1, 1] bool: the row attends to nothing
    bool anyMasked = false;          ///< some key of some row is masked (else skip the add)
    bool anyFullyMasked = false;     ///< some row is fully masked (else skip the fill)

    int64_t batch() const { return additiveMask.defined() ? additiveMask.size(0) : 0; }
    int64_t length() const { return additiveMask.defined() ? additiveMask.size(3) : 0; }
};

/// How the self-attention cache stores keys and values. f32 is the reference; bf16 rounds
/// each value to nearest even; int8 stores each head's key (and value) row of head_dim values
/// as symmetric codes round(x / s) in [-127, 127] with its own float scale s = max|x| / 127
/// (per item, head and position), so a row costs head_dim + 4 bytes instead of 2 head_dim.
/// The cache is read whole every decode step: at 1,500 positions musicgen-small's bf16 cache
/// is ~0.3 GB per step, nearly the int8 weights again (docs/performance.md).
enum class KvCachePrecision { F32, BF16, Int8 };
/// "f32" | "bf16" | "int8"; throws std::invalid_argument naming the value otherwise.
KvCachePrecision parseKvCachePrecision(const std::string& name);
std::string kvCachePrecisionName(KvCachePrecision precision);

/// One layer of a SelfAttentionCache: tensor handles sharing the cache's storage. k/v are
/// [B, H, capacity, head_dim] (float32, bfloat16 or int8 codes); kScale/vScale [B, H, capacity]
/// float32 for int8 only (undefined otherwise).
struct LayerKv {
    torch::Tensor k, v, kScale, vScale;
    bool int8() const { return kScale.defined(); }
};

/// Preallocated self-attention keys and values, [B, H, capacity, head_dim] per layer, written
/// in place by forward(): no per-step allocation or concatenation.
class SelfAttentionCache {
  public:
    SelfAttentionCache() = default;
    /// A float32 or bfloat16 cache (the dtype of `options`).
    SelfAttentionCache(int64_t layers, int64_t batch, int64_t heads, int64_t capacity,
                       int64_t headDim, const torch::TensorOptions& options);
    /// A cache of `precision` on `device` (int8: codes + per-row scales, see KvCachePrecision).
    SelfAttentionCache(int64_t layers, int64_t batch, int64_t heads, int64_t capacity,
                       int64_t headDim, KvCachePrecision precision,
                       torch::Device device = torch::kCPU);

    /// Forget every cached position (the memory is kept).
    void reset() { length_ = 0; }
    /// Keep only the first `length` positions (e.g. to regenerate from a step).
    void truncate(int64_t length);
    /// For benchmarks: treat positions [0, length) as filled with whatever the caller wrote
    /// through keys()/values() (and the scales), e.g. random values, instead of decoding them.
    void assumeFilled(int64_t length);
    int64_t length() const { return length_; }
    int64_t capacity() const { return capacity_; }
    int64_t batch() const { return batch_; }
    KvCachePrecision precision() const { return precision_; }
    /// Bytes one decode step reads per cached position: keys and values (and their int8
    /// scales) of every layer, item and head.
    double bytesPerPosition() const;

    const torch::Tensor& keys(int64_t layer) const { return layers_.at(layer).k; }
    const torch::Tensor& values(int64_t layer) const { return layers_.at(layer).v; }
    /// int8 only: [B, H, capacity] float32 (undefined tensors otherwise).
    const torch::Tensor& keyScales(int64_t layer) const { return layers_.at(layer).kScale; }
    const torch::Tensor& valueScales(int64_t layer) const { return layers_.at(layer).vScale; }

  private:
    friend class MusicgenForCausalLMImpl;
    std::vector<LayerKv> layers_;
    int64_t length_ = 0, capacity_ = 0, batch_ = 0;
    KvCachePrecision precision_ = KvCachePrecision::F32;
};

/// The most items (batch rows of a decode step: 2 per take with guidance) the fused one-token
/// step takes; more run the LibTorch layers. 16 is 8 guided takes (docs/performance.md).
constexpr int64_t kFusedDecodeMaxItems = 16;

/// Probing and steering taps, one obvious place per layer. Unset members cost nothing, and a
/// null DecoderHooks pointer costs nothing at all.
struct DecoderHooks {
    /// The residual stream ([B, T, D]) after layer `layer`, after any intervention;
    /// layer = -1 is the embeddings + positions input. Called num_hidden_layers + 1 times.
    std::function<void(int layer, const torch::Tensor& residual)> onResidual;
    /// The self-attention block output (before its residual add) of each layer, [B, T, D].
    std::function<void(int layer, const torch::Tensor& attnOut)> onAttention;
    /// May modify (in place, or by reassigning) the residual after layer `layer` (-1: the
    /// input), e.g. only rows [0, B/2), the conditional half of a CFG batch. The tensor is
    /// owned by this forward pass: nothing else sees it before the hook returns.
    std::function<void(int layer, torch::Tensor& residual)> intervene;
};

class MusicgenForCausalLMImpl : public torch::nn::Module {
  public:
    /// Direct loading at a reduced precision, so that a model whose float32 weights do not fit
    /// in memory can still be loaded: each layer is built (random initial weights), handed to
    /// `fillLayer` (which may copy its weights from a checkpoint), converted to `precision` and
    /// its float32 projection weights freed before the next layer is built. Peak memory is the
    /// reduced copies + one layer in float32 + the weights that stay float32 (embeddings,
    /// norms, cross-attention k/v). Built with the same random draws in the same order as the
    /// plain constructor, and quantised from the same float32 values as setPrecision(), so the
    /// result computes exactly what "construct (or load) in f32, then setPrecision" computes.
    /// The weights cannot come back: setPrecision() to another precision throws.
    struct DirectLoad {
        std::string precision; ///< "bf16" | "int8" | "int4"
        std::function<void(int64_t layer, torch::nn::Module& module)> fillLayer;
    };

    explicit MusicgenForCausalLMImpl(const MusicgenDecoderConfig& config);
    MusicgenForCausalLMImpl(const MusicgenDecoderConfig& config, const DirectLoad& direct);
    ~MusicgenForCausalLMImpl() override;

    /// Projects the memory ([B, S, D], already multiplied by its mask as MusicGen does) into
    /// every layer's cross-attention keys and values. encoderMask: [B, S], 1 = keep, 0 = pad
    /// (any integer, bool or float type holding only 0 and 1).
    CrossAttentionCache precomputeCross(const torch::Tensor& encoderStates,
                                        const torch::Tensor& encoderMask);
    /// A cache for `batch` items (not batch x K rows) and `capacity` positions, on the
    /// parameters' device, at defaultKvCache(). A cache keeps the precision it was made with.
    SelfAttentionCache makeCache(int64_t batch, int64_t capacity) const;
    /// The same at an explicit cache precision (any weight precision reads any cache).
    SelfAttentionCache makeCache(int64_t batch, int64_t capacity, KvCachePrecision kv) const;
    /// The cache precision makeCache() uses: float32 with f32 weights (the reference),
    /// defaultReducedKvCache(weights) with bf16, int8 or int4 weights.
    KvCachePrecision defaultKvCache() const;
    /// The cache chosen for reduced weights from the measurements in docs/performance.md
    /// ("Long context"): int8 with int8 or int4 weights, bf16 with bf16 weights.
    static KvCachePrecision defaultReducedKvCache(WeightPrecision weights);

    /// ids: [B*K, T] in the delayed layout (row b*K+k), values in [0, vocab_size]. Positions
    /// start at cache->length() (0 without a cache); with a cache the new keys and values are
    /// appended and its length advances by T. Returns logits [B, K, T, V]. hiddenStates, when
    /// given, is filled like transformers' output_hidden_states: [0] embeddings + positions,
    /// [i] the residual after layer i-1, the last one after the final LayerNorm.
    /// Run under torch::NoGradGuard (or InferenceMode) for speed: the packed projections are
    /// used only when no gradient is needed. Works in any floating dtype the parameters have
    /// (e.g. after to(torch::kBFloat16); call finalizeWeights() again after to()).
    torch::Tensor forward(const torch::Tensor& ids, const CrossAttentionCache& cross,
                          SelfAttentionCache* cache = nullptr, const DecoderHooks* hooks = nullptr,
                          std::vector<torch::Tensor>* hiddenStates = nullptr);
    /// forward() with the logits of the last position only, [B, K, 1, V]: what a prefill
    /// samples from (the lm heads over all T positions of a 500-frame prefill are 16 GFLOP and a
    /// 33 MB tensor it does not need). Each row's logits equal forward()'s where the heads
    /// compute rows alone (bf16/int8/int4; float32 heads multiply many rows through BLAS).
    torch::Tensor forwardLast(const torch::Tensor& ids, const CrossAttentionCache& cross,
                              SelfAttentionCache* cache = nullptr,
                              const DecoderHooks* hooks = nullptr);

    /// Prepares the weights for decoding: moves the matrices each decode step streams to
    /// huge-page memory and builds their inference copies at the current precision (q/k/v of
    /// every self-attention stacked into one projection, the K lm heads into one). Call after
    /// loading (loadFrom() does) and after changing weight values outside an optimiser step
    /// (copies that missed an in-place change are detected and skipped until rebuilt; see
    /// ReducedLinear.h). to() calls it itself.
    void finalizeWeights();

    /// Precision of the per-step projection weights (self-attention q/k/v and out,
    /// cross-attention q and out, fc1/fc2, the lm heads) used by forward() when no gradient
    /// is needed: "f32" (default, the reference), "bf16" or "int8" (see ReducedLinear.h).
    /// The f32 parameters stay untouched, so setPrecision("f32") restores the reference
    /// exactly; cross-attention keys/values, embeddings and norms stay f32. Copies are built
    /// from the current weights: call it again (or finalizeWeights()) after changing them.
    /// Throws std::invalid_argument for an unknown name, std::runtime_error when this
    /// machine's LibTorch cannot run it.
    void setPrecision(const std::string& precision);
    /// Direct loading's last step, once embeddings, final norm and heads hold their values:
    /// builds the heads' reduced copy and frees their float32 weights.
    void finishDirectLoad();
    /// Whether direct loading freed float32 weights, and how many (parameters() no longer
    /// counts them).
    bool floatWeightsReleased() const { return released_ > 0; }
    int64_t releasedParameterCount() const { return released_; }
    std::string precision() const { return precisionName(precision_); }
    /// Bytes of weights one decode step streams at the current precision (int8 scales
    /// included; cross keys/values, embedding rows and norms excluded).
    double decodeWeightBytes() const;
    /// Whether a one-token forward() with a cache (at most kFusedDecodeMaxItems items, no
    /// autograd) runs each
    /// layer as plain loops over reused buffers instead of ~40 LibTorch ops (default on; the
    /// same function up to float32 summation order). Off is for tests and measurements.
    void setFusedDecode(bool on) { fusedDecode_ = on; }
    bool fusedDecode() const { return fusedDecode_; }

    /// loader.load(*this, prefix), then checks the file's sinusoid table (when present)
    /// against sinusoidalPositions(), then finalizeWeights(). `prefix` is e.g. "decoder.".
    void loadFrom(StateDictLoader& loader, const std::string& prefix);
    /// Marks `prefix + positionTableKey()` used and throws unless it has shape
    /// [max_position_embeddings, hidden_size] and equals the computed table within 1e-5.
    /// Returns false (and checks nothing) when the file has no such tensor.
    bool checkPositionTable(StateDictLoader& loader, const std::string& prefix) const;
    /// The checkpoint key of the precomputed sinusoid table, which is not a parameter here.
    static std::string positionTableKey() { return "model.decoder.embed_positions.weights"; }

    /// Module::to(), then finalizeWeights(): the inference copies are derived from the
    /// parameters and must follow their new storage.
    void to(torch::Device device, torch::Dtype dtype, bool non_blocking = false) override;
    void to(torch::Dtype dtype, bool non_blocking = false) override;
    void to(torch::Device device, bool non_blocking = false) override;

    const MusicgenDecoderConfig& config() const { return config_; }
    /// Rows [offset, offset + count) of the sinusoid table (computed past its end).
    torch::Tensor positions(int64_t offset, int64_t count) const;

  private:
    void build(const DirectLoad* direct);
    torch::Tensor embed(const torch::Tensor& ids, int64_t batch, int64_t steps, int64_t offset);
    bool headsFused() const;
    /// The final hidden states [B, T, D] of forward() (the cache advanced).
    torch::Tensor decode(const torch::Tensor& ids, const CrossAttentionCache& cross,
                         SelfAttentionCache* cache, const DecoderHooks* hooks,
                         std::vector<torch::Tensor>* hiddenStates);
    /// The K heads on hidden [B, T, D]: logits [B, K, T, V].
    torch::Tensor logitsOf(const torch::Tensor& hidden);

    MusicgenDecoderConfig config_;
    std::shared_ptr<torch::nn::Module> model_, decoder_; // "model", "model.decoder"
    torch::nn::ModuleList embedTokens_, layerList_, lmHeads_;
    std::vector<torch::nn::Embedding> embeddings_;
    std::vector<std::shared_ptr<MusicgenDecoderLayerImpl>> layers_;
    torch::nn::LayerNorm layerNorm_{nullptr};
    std::vector<torch::nn::Linear> heads_;
    torch::Tensor positionTable_; // not a parameter: computed, like the upstream buffer
    WeightPrecision precision_ = WeightPrecision::F32;
    ReducedLinear fastHeads_; // the K heads stacked, derived from their weights
    bool fusedDecode_ = true;
    int64_t released_ = 0; // float32 weights freed by direct loading
};
TORCH_MODULE(MusicgenForCausalLM);

/// The transformers MusicgenSinusoidalPositionalEmbedding table [positions, dim]: half = dim/2,
/// f_i = exp(-i ln(10000) / (half - 1)), row p = [cos(p f), sin(p f)] (cos first), a zero
/// column appended when dim is odd; computed in float32 exactly as upstream.
torch::Tensor sinusoidalPositions(int64_t positions, int64_t dim);

} // namespace moodsteer::models
