// The Emotion Predictor's head (LARA-Gen): a 3-layer MLP from one window's mean-pooled audio
// features to (valence, arousal) on the 1..9 scale. The feature standardisation learnt on the
// training set is part of the module (buffers feature_mean / feature_std), so a saved head is
// self-contained; the file's metadata records which encoder, layer and window it expects.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <string>

namespace moodsteer::models {

class EmotionHeadImpl : public torch::nn::Module {
  public:
    EmotionHeadImpl(int64_t inputSize, int64_t hiddenSize, double dropout = 0.1);

    /// (N, inputSize) raw (unstandardised) features -> (N, 2) = (valence, arousal) in (1, 9).
    torch::Tensor forward(const torch::Tensor& features);

    /// Sets the standardisation; a std below 1e-6 (a constant feature) is stored as 1.
    void setStandardisation(const torch::Tensor& mean, const torch::Tensor& std);

    int64_t inputSize() const { return inputSize_; }
    int64_t hiddenSize() const { return hiddenSize_; }

    torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
    torch::nn::Dropout dropout{nullptr};
    torch::Tensor feature_mean, feature_std;

  private:
    int64_t inputSize_, hiddenSize_;
};
TORCH_MODULE(EmotionHead);

/// Writes the head's parameters and buffers plus `metadata` (safetensors, atomic).
void saveEmotionHead(EmotionHeadImpl& head, const std::string& path,
                     const std::map<std::string, std::string>& metadata);

/// Reads a head written by saveEmotionHead: sizes from the tensor shapes, strict loading
/// (missing, misshapen or extra tensors are errors naming the file and tensor). The file's
/// metadata is returned through `metadata` when non-null.
EmotionHead loadEmotionHead(const std::string& path,
                            std::map<std::string, std::string>* metadata = nullptr);

} // namespace moodsteer::models
