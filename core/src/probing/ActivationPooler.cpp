#include "core/probing/ActivationPooler.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace moodsteer {

ActivationPooler::ActivationPooler(int numLayers, int hiddenSize, const std::string& pooling,
                                   int frames, int numCodebooks)
    : numLayers_(numLayers), hiddenSize_(hiddenSize), frames_(frames), numCodebooks_(numCodebooks),
      last_(pooling == "last") {
    if (pooling != "mean" && pooling != "last")
        throw std::invalid_argument("pooling '" + pooling + "' (expected mean or last)");
    if (numLayers < 1 || hiddenSize < 1 || numCodebooks < 1)
        throw std::invalid_argument("ActivationPooler: layers, hidden size and codebooks must "
                                    "be positive");
    // Frame t of codebook k sits at position t + k + 1; positions 0 .. T+K-2 are LM inputs.
    const int lastInput = frames + numCodebooks - 2;
    if (last_) {
        begin_ = lastInput;
        end_ = lastInput + 1;
    } else {
        begin_ = numCodebooks;
        end_ = std::min(frames, lastInput) + 1;
    }
    if (begin_ < 0 || end_ <= begin_)
        throw std::invalid_argument("ActivationPooler: " + std::to_string(frames) +
                                    " frames with " + std::to_string(numCodebooks) +
                                    " codebooks leave no position where every codebook holds a "
                                    "real frame");
    reset();
}

void ActivationPooler::reset() {
    sums_.assign(static_cast<std::size_t>(numLayers_) * hiddenSize_, 0.0);
    counts_.assign(numLayers_, 0);
}

void ActivationPooler::add(int layer, int position, const float* rows, int count) {
    if (layer < 0 || layer >= numLayers_)
        throw std::out_of_range("ActivationPooler::add: layer " + std::to_string(layer));
    const int from = std::max(position, begin_), to = std::min(position + count, end_);
    double* sum = &sums_[static_cast<std::size_t>(layer) * hiddenSize_];
    for (int p = from; p < to; ++p) {
        const float* r = rows + static_cast<std::size_t>(p - position) * hiddenSize_;
        for (int j = 0; j < hiddenSize_; ++j)
            sum[j] += r[j];
        ++counts_[layer];
    }
}

std::vector<float> ActivationPooler::pooled() const {
    std::vector<float> out(sums_.size());
    const int expected = end_ - begin_;
    for (int l = 0; l < numLayers_; ++l) {
        if (counts_[l] != expected)
            throw std::runtime_error("ActivationPooler: layer " + std::to_string(l) + " received " +
                                     std::to_string(counts_[l]) + " of the " +
                                     std::to_string(expected) + " pooled positions");
        for (int j = 0; j < hiddenSize_; ++j)
            out[static_cast<std::size_t>(l) * hiddenSize_ + j] =
                static_cast<float>(sums_[static_cast<std::size_t>(l) * hiddenSize_ + j] / expected);
    }
    return out;
}

} // namespace moodsteer
