// T5 text encoder of MusicGen (transformers' T5EncoderModel, 4.35), in LibTorch.
//
// The module tree is the checkpoint's key tree below "text_encoder.": shared.weight,
// encoder.block.N.layer.0.SelfAttention.{q,k,v,o}.weight (+ relative_attention_bias.weight in
// block 0), encoder.block.N.layer.0.layer_norm.weight, encoder.block.N.layer.1.DenseReluDense.
// {wi,wo}.weight (gated: wi_0, wi_1, wo), encoder.block.N.layer.1.layer_norm.weight,
// encoder.final_layer_norm.weight. encoder.embed_tokens is tied to shared and not registered.
//
// Semantics (checked against ../shared/parity): RMS norm without mean or bias; attention
// scores not scaled by 1/sqrt(d_kv); one bidirectional relative-position bias, computed in
// block 0 and reused by every block together with the additive finfo.min padding mask.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moodsteer::models {

/// Mirrors config.json "text_encoder" (upstream T5Config defaults in comments; t5-base values
/// are what musicgen-small uses).
struct T5Config {
    int64_t vocab_size = 32128;                    // 32128
    int64_t d_model = 768;                         // 512 upstream, 768 in t5-base
    int64_t d_kv = 64;                             // 64
    int64_t d_ff = 3072;                           // 2048 upstream, 3072 in t5-base
    int64_t num_layers = 12;                       // 6 upstream, 12 in t5-base
    int64_t num_heads = 12;                        // 8 upstream, 12 in t5-base
    int64_t relative_attention_num_buckets = 32;   // 32
    int64_t relative_attention_max_distance = 128; // 128
    double layer_norm_epsilon = 1e-6;              // 1e-6
    std::string feed_forward_proj = "relu";        // "relu"; "gated-gelu" for t5 v1.1

    /// Reads the fields above from a config.json "text_encoder" object. Throws
    /// std::runtime_error naming the field when one is missing, mistyped or out of range.
    static T5Config fromJson(const nlohmann::json& j);

    /// Throws std::runtime_error naming the first invalid setting.
    void validate() const;
    /// "gated-gelu" -> true.
    bool isGated() const;
    /// The activation name after the optional "gated-" prefix ("relu", "gelu", "gelu_new",
    /// "silu"); "gated-gelu" means "gelu_new" (tanh approximation), as in transformers.
    std::string activation() const;
};

/// T5's bidirectional relative-position buckets (T5Attention._relative_position_bucket with
/// bidirectional=True): [queryLength, keyLength] int64, entry [i, j] = bucket(j - i). Half the
/// buckets per direction (positive distances in the upper half); of those, half are exact and
/// the rest log-spaced up to maxDistance, computed in float32 as the reference does.
torch::Tensor t5RelativePositionBuckets(int64_t queryLength, int64_t keyLength, int64_t numBuckets,
                                        int64_t maxDistance,
                                        const torch::Device& device = torch::kCPU);

struct T5StackImpl; // the "encoder" submodule, defined in T5Encoder.cpp

class T5EncoderModelImpl : public torch::nn::Module {
  public:
    explicit T5EncoderModelImpl(const T5Config& config);

    /// ids [B,T] integer token ids in [0, vocab_size); mask [B,T] of any numeric or bool type,
    /// 1 (true) for real tokens. Returns last_hidden_state [B,T,d_model] (padded positions
    /// are computed too; they are "don't care"). When `hiddenStates` is given it receives
    /// num_layers + 1 tensors as transformers' output_hidden_states: the embeddings, the
    /// output of every block but the last, then the final-norm output (== the return value).
    /// Throws std::invalid_argument naming the bad input.
    torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask,
                          std::vector<torch::Tensor>* hiddenStates = nullptr);

    const T5Config& config() const { return config_; }

  private:
    T5Config config_;
    torch::nn::Embedding shared_{nullptr};
    std::shared_ptr<T5StackImpl> encoder_;
};
TORCH_MODULE(T5EncoderModel);

} // namespace moodsteer::models
