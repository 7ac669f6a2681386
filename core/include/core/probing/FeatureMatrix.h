// A dense row-major float matrix (rows = samples, cols = features): the torch-free currency of
// the probing and steering code (pooled activations, probe weights, centroids).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

struct FeatureMatrix {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<float> data; ///< rows * cols, row-major

    FeatureMatrix() = default;
    FeatureMatrix(std::int64_t r, std::int64_t c, float fill = 0.0f)
        : rows(r), cols(c), data(static_cast<std::size_t>(r * c), fill) {
        if (r < 0 || c < 0) throw std::invalid_argument("FeatureMatrix: negative shape");
    }

    float* row(std::int64_t i) { return data.data() + i * cols; }
    const float* row(std::int64_t i) const { return data.data() + i * cols; }
    float& at(std::int64_t i, std::int64_t j) {
        return data[static_cast<std::size_t>(i * cols + j)];
    }
    float at(std::int64_t i, std::int64_t j) const {
        return data[static_cast<std::size_t>(i * cols + j)];
    }
    bool empty() const { return rows == 0 || cols == 0; }

    /// The rows listed in `indices`, in that order.
    FeatureMatrix selectRows(const std::vector<std::int64_t>& indices) const {
        FeatureMatrix out(static_cast<std::int64_t>(indices.size()), cols);
        for (std::size_t k = 0; k < indices.size(); ++k) {
            if (indices[k] < 0 || indices[k] >= rows)
                throw std::out_of_range("FeatureMatrix::selectRows: row " +
                                        std::to_string(indices[k]) + " of " + std::to_string(rows));
            std::copy(row(indices[k]), row(indices[k]) + cols,
                      out.row(static_cast<std::int64_t>(k)));
        }
        return out;
    }
};

} // namespace moodsteer
