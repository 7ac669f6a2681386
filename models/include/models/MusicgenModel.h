// A whole MusicGen checkpoint in the Hugging Face folder layout (config.json,
// model.safetensors, optional spiece.model): T5 text encoder, enc_to_dec_proj, the decoder LM,
// the EnCodec codec, and for our embedded model the LARA-Gen AV encoder and a symbolic codec
// described in config.json's "moodsteer" block. The module tree is the checkpoint's key tree.
#pragma once

#include "models/AvEncoder.h"
#include "models/Encodec.h"
#include "models/MusicgenDecoder.h"
#include "models/T5Encoder.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace moodsteer::models {

struct MusicgenConfig {
    T5Config textEncoder;                      ///< "text_encoder"
    MusicgenDecoderConfig decoder;             ///< "decoder"
    std::optional<EncodecConfig> audioEncoder; ///< "audio_encoder" (absent for symbolic codecs)
    std::optional<AvEncoderConfig> avEncoder;  ///< "moodsteer.av_encoder"
    std::string codec = "encodec_32khz";       ///< "moodsteer.codec.name" or EnCodec
    nlohmann::json codecConfig;                ///< "moodsteer.codec" as given
    std::vector<std::string> genres;           ///< "moodsteer.genres"
    std::string nameOrPath;                    ///< "_name_or_path"
    nlohmann::json raw;

    /// Throws std::runtime_error naming the file and field.
    static MusicgenConfig fromFile(const std::string& path);
    static MusicgenConfig fromJson(const nlohmann::json& j);
};

class MusicgenModelImpl : public torch::nn::Module {
  public:
    explicit MusicgenModelImpl(const MusicgenConfig& config);
    /// The same modules with the decoder built directly at bf16/int8
    /// (MusicgenForCausalLMImpl::DirectLoad): random weights unless `direct.fillLayer` copies
    /// them; call decoder->finishDirectLoad() once the heads hold their final values.
    MusicgenModelImpl(const MusicgenConfig& config,
                      const MusicgenForCausalLMImpl::DirectLoad& direct);

    /// Builds the model from `folder` and loads model.safetensors strictly: every tensor
    /// checked by name, shape and dtype; unused tensors fail unless they are known training
    /// statistics, the tied T5 embedding or the (verified) position table.
    static std::shared_ptr<MusicgenModelImpl> load(const std::string& folder);
    /// load(folder), then the decoder at `precision`. For bf16/int8 the decoder is loaded
    /// directly (see DirectLoad): layer by layer from the memory-mapped file, each layer
    /// quantised and its float32 weights and file pages dropped before the next one, so the
    /// float32 model never exists in memory; the logits equal those of load() followed by
    /// decoder->setPrecision(precision).
    static std::shared_ptr<MusicgenModelImpl> load(const std::string& folder,
                                                   const std::string& precision);

    /// Cross-attention memory for a batch: text ids [B,S] with mask [B,S]; optional
    /// valence/arousal [B,2] with avMask [B] (1 = use the AV token). Returns
    /// {memory [B, S(+1), D_dec], mask [B, S(+1)]}, memory already multiplied by the mask.
    std::pair<torch::Tensor, torch::Tensor> encodeConditions(const torch::Tensor& ids,
                                                             const torch::Tensor& mask,
                                                             const torch::Tensor& va = {},
                                                             const torch::Tensor& avMask = {});
    /// T5 output (+ AV token) before the projection: [B, S(+1), d_model].
    std::pair<torch::Tensor, torch::Tensor> textStates(const torch::Tensor& ids,
                                                       const torch::Tensor& mask,
                                                       const torch::Tensor& va = {},
                                                       const torch::Tensor& avMask = {});
    /// Projection to the decoder width, then zeroed where mask is 0 (as transformers does).
    torch::Tensor project(const torch::Tensor& states, const torch::Tensor& mask);

    const MusicgenConfig& config() const { return config_; }
    bool hasAvEncoder() const { return !av_encoder.is_empty(); }
    bool hasEncodec() const { return !audio_encoder.is_empty(); }

    T5EncoderModel text_encoder{nullptr};
    torch::nn::Linear enc_to_dec_proj{nullptr};
    MusicgenForCausalLM decoder{nullptr};
    EncodecModel audio_encoder{nullptr};
    AvEncoder av_encoder{nullptr};

  private:
    MusicgenModelImpl(const MusicgenConfig& config,
                      const MusicgenForCausalLMImpl::DirectLoad* direct);
    MusicgenConfig config_;
};
TORCH_MODULE(MusicgenModel);

} // namespace moodsteer::models
