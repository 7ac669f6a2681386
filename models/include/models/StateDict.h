// Strict loading of LibTorch modules from safetensors files. Modules register their
// parameters and buffers under the checkpoint's own key names, so named_parameters() keys
// equal file keys (after a prefix). Every shape and dtype is checked, errors name the tensor
// and both shapes, and finish() fails when a file tensor was never used.
#pragma once

#include "models/Safetensors.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace moodsteer::models {

/// A copy of a file tensor as a torch tensor (CPU, the file's dtype).
torch::Tensor toTensor(const SafetensorsReader& file, const TensorInfo& info);
torch::Tensor toTensor(const SafetensorsReader& file, const std::string& name);
/// Adds a (contiguous copy of a) torch tensor to a writer.
void addTensor(SafetensorsWriter& writer, const std::string& name, const torch::Tensor& t);

class StateDictLoader {
  public:
    explicit StateDictLoader(std::shared_ptr<const SafetensorsReader> file);

    /// Loads every parameter and buffer of `module` from `prefix + name`. A parameter
    /// `X.weight` may come as weight-norm pairs `X.weight_g`/`X.weight_v` (or torch >= 2.1's
    /// `X.parametrizations.weight.original0/1`); they are folded here, the norm taken over the
    /// dimensions where g has size 1. Float tensors of another float dtype are converted.
    void load(torch::nn::Module& module, const std::string& prefix);
    /// The same, except the parameters and buffers whose full key starts with one of
    /// `skipPrefixes` (loaded separately, e.g. layer by layer).
    void load(torch::nn::Module& module, const std::string& prefix,
              const std::vector<std::string>& skipPrefixes);

    /// One tensor by full name, marked used; shape checked when `expectedShape` is non-empty.
    torch::Tensor take(const std::string& name, const std::vector<int64_t>& expectedShape = {});
    bool has(const std::string& name) const { return file_->find(name) != nullptr; }

    /// File tensors matching `pattern` (ECMAScript regex, whole key) may stay unused: tied
    /// duplicates, training-only statistics, precomputed tables.
    void allowUnused(const std::string& pattern);
    /// Throws naming every file tensor that was neither used nor allowed unused.
    void finish() const;

    const SafetensorsReader& file() const { return *file_; }

  private:
    torch::Tensor fetch(const std::string& key, const torch::Tensor& target);

    std::shared_ptr<const SafetensorsReader> file_;
    std::set<std::string> used_;
    std::vector<std::regex> allowed_;
    std::vector<std::string> allowedText_;
};

/// Folds weight norm: w = g * v / ||v||, norm over every dim where g has size 1.
torch::Tensor foldWeightNorm(const torch::Tensor& g, const torch::Tensor& v);

} // namespace moodsteer::models
