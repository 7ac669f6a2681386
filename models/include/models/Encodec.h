// EnCodec (SEANet encoder, residual vector quantizer, SEANet decoder) as in Hugging Face
// transformers 4.35 `EncodecModel`, for the 32 kHz MusicGen codec. The module tree is the
// checkpoint's key tree below "audio_encoder.", so StateDictLoader::load(model, "audio_encoder.")
// fills it (weight-norm pairs are folded by the loader). Semantics and tolerances:
// ../shared/parity/README.md ("EnCodec").
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace moodsteer::models {

namespace seanet {
class SeanetEncoderImpl;
class SeanetDecoderImpl;
class ResidualVectorQuantizerImpl;
} // namespace seanet

/// Mirrors config.json "audio_encoder" (transformers EncodecConfig). Upstream defaults in
/// comments; fromJson uses them for absent fields.
struct EncodecConfig {
    int64_t sampling_rate = 24000;                                    // 24000
    int64_t audio_channels = 1;                                       // 1
    int64_t num_filters = 32;                                         // 32
    int64_t num_residual_layers = 1;                                  // 1
    int64_t kernel_size = 7;                                          // 7
    int64_t last_kernel_size = 7;                                     // 7
    int64_t residual_kernel_size = 3;                                 // 3
    int64_t dilation_growth_rate = 2;                                 // 2
    int64_t compress = 2;                                             // 2
    int64_t num_lstm_layers = 2;                                      // 2
    int64_t codebook_size = 1024;                                     // 1024
    int64_t codebook_dim = 128;                                       // null -> hidden_size
    int64_t hidden_size = 128;                                        // 128
    std::vector<int64_t> upsampling_ratios{8, 5, 4, 2};               // [8, 5, 4, 2]
    std::vector<double> target_bandwidths{1.5, 3.0, 6.0, 12.0, 24.0}; // [1.5, 3, 6, 12, 24]
    bool use_causal_conv = true;           // true (MusicGen's 32 kHz codec: false)
    bool use_conv_shortcut = true;         // true (MusicGen's 32 kHz codec: false)
    bool normalize = false;                // false; true is rejected (not needed for MusicGen)
    std::string pad_mode = "reflect";      // "reflect"
    std::string norm_type = "weight_norm"; // "weight_norm"; "none" also accepted
    double trim_right_ratio = 1.0;         // 1.0
    std::optional<double> chunk_length_s;  // null; a value is rejected (no chunked codec)
    std::optional<double> overlap;         // null

    /// Throws std::invalid_argument naming the field for a wrong type or unsupported value.
    static EncodecConfig fromJson(const nlohmann::json& j);
    /// Throws std::invalid_argument naming the field.
    void validate() const;

    /// Samples per code frame: prod(upsampling_ratios) (640 for 32 kHz).
    int64_t hopLength() const;
    /// ceil(sampling_rate / hopLength()), an integer as in transformers (50 for 32 kHz).
    double frameRate() const;
    /// Number of RVQ layers in the model: int(1000 * target_bandwidths[-1] // (frameRate * 10)).
    int64_t numQuantizerLayers() const;
    /// Layers used at `bandwidth` (kbps): max(1, floor(bw * 1000 / (log2(codebook_size) *
    /// frameRate))), clamped to numQuantizerLayers() as the library's layers[:n] slice does.
    int64_t numQuantizers(double bandwidth) const;
};

/// Receptive reach of a decoder stage, in code frames either side of the frame being produced.
struct FrameReach {
    int64_t left = 0;
    int64_t right = 0;
};

/// A decoder stage run incrementally (batch 1): push() its input [1, C, n] as it arrives and
/// get back the output [1, C', m] that no later input can change (an undefined tensor when
/// there is none yet); finish(), once the input has ended, returns the rest and resets the
/// stream for a new input. The outputs concatenated equal the stage's forward() on the whole
/// input, float rounding aside: every output sample is computed once, from the same inputs.
/// Not thread-safe; it refers to the model's layers, so the model must outlive it.
class SampleStream {
  public:
    virtual ~SampleStream() = default;
    virtual torch::Tensor push(const torch::Tensor& x) = 0;
    virtual torch::Tensor finish() = 0;
    /// An independent stream in the same state (its held edges copied): pushing to one leaves
    /// the other as it was. Refers to the same layers.
    virtual std::unique_ptr<SampleStream> clone() const = 0;
};

class EncodecModelImpl : public torch::nn::Module {
  public:
    explicit EncodecModelImpl(const EncodecConfig& config);

    const EncodecConfig& config() const { return config_; }

    /// Regexes (whole key, any prefix) for file tensors that are training statistics only:
    /// pass each to StateDictLoader::allowUnused.
    static std::vector<std::string> unusedKeyPatterns();

    /// wave [B, audio_channels, N] float -> encoder output [B, hidden_size, ceil(N / hop)].
    torch::Tensor encodeEmbeddings(const torch::Tensor& wave);
    /// emb [B, D, F] -> codes [B, K, F] int64 with the first `numQuantizers` RVQ layers.
    torch::Tensor quantize(const torch::Tensor& emb, int64_t numQuantizers);
    /// codes [B, K, F] (K <= numQuantizerLayers()) -> sum of codebook vectors [B, D, F].
    /// Throws std::invalid_argument for codes outside [0, codebook_size) or a bad shape.
    torch::Tensor dequantize(const torch::Tensor& codes);
    /// wave -> codes [B, K, F] at target_bandwidths[0] (what transformers' encode() does when
    /// no bandwidth is given; the 32 kHz codec has the single bandwidth 2.2 -> K = 4).
    torch::Tensor encode(const torch::Tensor& wave);
    /// latent [B, D, F] -> audio [B, audio_channels, F * hop] (not trimmed).
    torch::Tensor decodeLatent(const torch::Tensor& latent);
    /// codes [B, K, F] -> audio [B, audio_channels, F * hop]. Throws for bad codes.
    torch::Tensor decode(const torch::Tensor& codes);

    // Decoder stages, for EncodecStreamingDecoder. decodeLatent(x) ==
    // decoderUpsample(decoderLstm(decoderInputConv(x), nullopt).first).
    using LstmState = std::tuple<torch::Tensor, torch::Tensor>;
    /// The first (non-causal) convolution: [B, D, F] -> [B, C, F].
    torch::Tensor decoderInputConv(const torch::Tensor& latent);
    /// The (causal) LSTM with its skip connection, continuing from `state` when given.
    std::pair<torch::Tensor, LstmState> decoderLstm(const torch::Tensor& x,
                                                    const std::optional<LstmState>& state);
    /// Everything after the LSTM: [B, C, F] -> audio [B, audio_channels, F * hop].
    torch::Tensor decoderUpsample(const torch::Tensor& x);
    /// decoderUpsample() as a SampleStream: each layer keeps the edge of its input that later
    /// outputs need (a convolution its last kernel - 1 samples, a transposed convolution its
    /// overlapping tail), so no frame is computed twice however small the pushes.
    std::unique_ptr<SampleStream> decoderUpsampleStream();
    /// Frames of latent either side that decoderInputConv's output at one frame depends on.
    FrameReach decoderInputConvReach() const;
    /// Frames of LSTM output either side that the audio of one frame depends on: the latency
    /// the upsampling stream adds (at most its right reach). The streaming decoder itself no
    /// longer needs it (it was its context and lookahead before the stream form).
    FrameReach decoderUpsampleReach() const;

  private:
    EncodecConfig config_;
    std::shared_ptr<seanet::SeanetEncoderImpl> encoder_;
    std::shared_ptr<seanet::SeanetDecoderImpl> decoder_;
    std::shared_ptr<seanet::ResidualVectorQuantizerImpl> quantizer_;
};
TORCH_MODULE(EncodecModel);

} // namespace moodsteer::models
