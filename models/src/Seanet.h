// SEANet building blocks of EnCodec (transformers 4.35 modeling_encodec.py) and the residual
// vector quantizer. Private to models/. Several small classes share this file because each is a
// few lines and they only make sense together; every module registers the checkpoint's names
// (layers.N, block.N, conv, lstm, codebook.embed).
#pragma once

#include "models/Encodec.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/rnn.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace moodsteer::models::seanet {

/// transformers' _pad1d: `left`/`right` samples of padding in `mode` (reflect, replicate,
/// circular, else zeros) on the last dimension.
torch::Tensor pad1d(torch::Tensor x, int64_t left, int64_t right, const std::string& mode);

/// ceil(a / b) and floor(a / b) for b > 0 and a of either sign.
int64_t ceilDiv(int64_t a, int64_t b);
int64_t floorDiv(int64_t a, int64_t b);

/// x [M, K] . w^T with w [N, K] row-major, both contiguous -> [M, N]. Up to 16 float32 rows (a
/// streaming push's few frames) go through the decode step's GEMV, which streams w as it is
/// (4 rows per pass); BLAS would first repack w for them, which costs more than the product
/// (32 MB for the first transposed convolution, 16 MB per LSTM layer, for one frame).
torch::Tensor timesTransposed(const torch::Tensor& x, const torch::Tensor& w);

/// transformers' _pad1d on a channels-last [T, C] tensor (padding along T).
torch::Tensor pad1dChannelsLast(const torch::Tensor& x, int64_t left, int64_t right,
                                const std::string& mode);

/// A weight rearranged for the channels-last kernels (SeanetChannelsLast.cpp), made again when
/// the weight is replaced or changed in place (its data pointer or version counter moves), so a
/// checkpoint loaded after the first decode is used. Safe to call from several threads.
class PackedWeight {
  public:
    template <class Pack> torch::Tensor get(const torch::Tensor& weight, Pack pack) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!packed_.defined() || from_ != weight.data_ptr() || version_ != weight._version()) {
            packed_ = pack(weight);
            from_ = weight.data_ptr();
            version_ = weight._version();
        }
        return packed_;
    }

  private:
    std::mutex mutex_;
    torch::Tensor packed_;
    const void* from_ = nullptr;
    uint32_t version_ = 0;
};

/// One entry of a SEANet `layers` list. `reach` widens a receptive reach, given at this layer's
/// output rate, to its input rate (used for the streaming decoder's exact context). `stream`
/// gives the layer's incremental form (SeanetStream.cpp), for the layers of the decoder's
/// upsampling stack; the others throw std::logic_error. `forwardChannelsLast` is forward() for
/// batch 1 in the channels-last layout [T, C] (the upsampling stack and its streams run in it:
/// every convolution is GEMMs on contiguous rows); by default it goes through forward().
class SeanetLayer : public torch::nn::Module {
  public:
    virtual torch::Tensor forward(const torch::Tensor& x) = 0;
    virtual torch::Tensor forwardChannelsLast(const torch::Tensor& x);
    virtual FrameReach reach(FrameReach atOutput) const { return atOutput; }
    virtual std::unique_ptr<SampleStream> stream();
};

class Elu : public SeanetLayer {
  public:
    torch::Tensor forward(const torch::Tensor& x) override;
    torch::Tensor forwardChannelsLast(const torch::Tensor& x) override { return forward(x); }
    std::unique_ptr<SampleStream> stream() override;
};

/// EncodecConv1d: padding computed per call ("same"-style, completing the last window).
class Conv1d : public SeanetLayer {
  public:
    Conv1d(const EncodecConfig& config, int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
           int64_t dilation = 1);
    torch::Tensor forward(const torch::Tensor& x) override;
    torch::Tensor forwardChannelsLast(const torch::Tensor& x) override;
    FrameReach reach(FrameReach atOutput) const override;
    std::unique_ptr<SampleStream> stream() override; ///< stride 1 only
    torch::nn::Conv1d conv{nullptr};

  private:
    friend class Conv1dStream;
    /// The convolution alone (stride 1, no padding): [L, in] -> [L - span + 1, out]: one GEMM
    /// per kernel tap, or for a few rows one GEMV of the taps side by side; the weights are
    /// packed as [out, kernel, in].
    torch::Tensor convChannelsLast(const torch::Tensor& x);
    PackedWeight packed_;
    /// (left, right) fixed padding, without the extra padding that completes the last window.
    std::pair<int64_t, int64_t> fixedPadding() const;
    int64_t kernel_, stride_, dilation_;
    bool causal_;
    std::string padMode_;
};

/// EncodecConvTranspose1d: upsampling, trimming kernel - stride samples afterwards.
class ConvTranspose1d : public SeanetLayer {
  public:
    ConvTranspose1d(const EncodecConfig& config, int64_t in, int64_t out, int64_t kernel,
                    int64_t stride);
    torch::Tensor forward(const torch::Tensor& x) override;
    torch::Tensor forwardChannelsLast(const torch::Tensor& x) override;
    FrameReach reach(FrameReach atOutput) const override;
    std::unique_ptr<SampleStream> stream() override;
    torch::nn::ConvTranspose1d conv{nullptr};

  private:
    friend class ConvTranspose1dStream;
    /// The transposed convolution before trimming: [n, in] -> [(n - 1) * stride + kernel, out],
    /// bias on every row: one product with the weights packed as [taps, out, in] (kernel
    /// zero-extended to a multiple of the stride), then each stride-long group of taps added to
    /// the output rows, shifted by a row per group.
    torch::Tensor convChannelsLast(const torch::Tensor& x);
    PackedWeight packed_;
    int64_t trimLeft() const;
    int64_t kernel_, stride_;
    bool causal_;
    double trimRightRatio_;
};

/// EncodecResnetBlock: x + block(x), block = [ELU, conv(k, dilation), ELU, conv(1)].
class ResnetBlock : public SeanetLayer {
  public:
    ResnetBlock(const EncodecConfig& config, int64_t dim, int64_t dilation);
    torch::Tensor forward(const torch::Tensor& x) override;
    torch::Tensor forwardChannelsLast(const torch::Tensor& x) override;
    FrameReach reach(FrameReach atOutput) const override;
    std::unique_ptr<SampleStream> stream() override;

  private:
    friend class ResnetBlockStream;
    torch::nn::ModuleList block_;
    std::vector<std::shared_ptr<SeanetLayer>> layers_;
    std::shared_ptr<Conv1d> shortcut_; // only with use_conv_shortcut
};

/// EncodecLSTM: (B, C, T) -> lstm over T -> + input (skip connection).
class Lstm : public SeanetLayer {
  public:
    Lstm(const EncodecConfig& config, int64_t dim);
    torch::Tensor forward(const torch::Tensor& x) override;
    std::pair<torch::Tensor, EncodecModelImpl::LstmState>
    forwardWithState(const torch::Tensor& x, const std::optional<EncodecModelImpl::LstmState>& s);
    torch::nn::LSTM lstm{nullptr};

  private:
    /// Batch 1 without autograd (every decode): the recurrence on the f32 GEMV kernel.
    std::pair<torch::Tensor, EncodecModelImpl::LstmState>
    recurBatchOne(const torch::Tensor& seq, const std::optional<EncodecModelImpl::LstmState>& s);
};

/// A `layers` list: ModuleList for the key names plus typed pointers to call.
class SeanetStack : public torch::nn::Module {
  public:
    torch::Tensor forward(const torch::Tensor& x, size_t from = 0, size_t to = SIZE_MAX);
    FrameReach reach(size_t from, size_t to) const;
    /// Layers [from, to) as one SampleStream.
    std::unique_ptr<SampleStream> stream(size_t from, size_t to = SIZE_MAX);

  protected:
    SeanetStack();
    template <class T> std::shared_ptr<T> add(std::shared_ptr<T> layer) {
        list_->push_back(layer);
        layers_.push_back(layer);
        return layer;
    }
    std::vector<std::shared_ptr<SeanetLayer>> layers_;

  private:
    torch::nn::ModuleList list_;
};

class SeanetEncoderImpl : public SeanetStack {
  public:
    explicit SeanetEncoderImpl(const EncodecConfig& config);
};

/// Layer 0 is the input convolution, layer 1 the LSTM, the rest upsamples to audio.
class SeanetDecoderImpl : public SeanetStack {
  public:
    explicit SeanetDecoderImpl(const EncodecConfig& config);
    torch::Tensor inputConv(const torch::Tensor& x) { return layers_[0]->forward(x); }
    Lstm& lstm() { return *lstm_; }
    /// Everything after the LSTM; batch 1 without autograd runs channels-last.
    torch::Tensor upsample(const torch::Tensor& x);
    /// The whole decoder: forward(x) with upsample()'s fast path.
    torch::Tensor decode(const torch::Tensor& x) { return upsample(forward(x, 0, 2)); }
    FrameReach inputConvReach() const { return reach(0, 1); }
    FrameReach upsampleReach() const { return reach(2, layers_.size()); }
    std::unique_ptr<SampleStream> upsampleStream() { return stream(2); }

  private:
    std::shared_ptr<Lstm> lstm_;
};

/// EncodecEuclideanCodebook: only `embed` is used; the training statistics stay in the file.
class Codebook : public torch::nn::Module {
  public:
    explicit Codebook(const EncodecConfig& config);
    torch::Tensor embed;
};

/// EncodecVectorQuantization: holds the codebook under the name "codebook".
class VectorQuantization : public torch::nn::Module {
  public:
    explicit VectorQuantization(const EncodecConfig& config);
    /// residual [N, D] -> nearest code per row [N].
    torch::Tensor encode(const torch::Tensor& rows) const;
    std::shared_ptr<Codebook> codebook;
};

class ResidualVectorQuantizerImpl : public torch::nn::Module {
  public:
    explicit ResidualVectorQuantizerImpl(const EncodecConfig& config);
    /// emb [B, D, F] -> codes [B, K, F].
    torch::Tensor encode(const torch::Tensor& emb, int64_t numQuantizers) const;
    /// codes [B, K, F] (validated by the caller) -> [B, D, F].
    torch::Tensor decode(const torch::Tensor& codes) const;
    int64_t numLayers() const { return static_cast<int64_t>(layers_.size()); }

  private:
    torch::nn::ModuleList list_;
    std::vector<std::shared_ptr<VectorQuantization>> layers_;
};

} // namespace moodsteer::models::seanet
