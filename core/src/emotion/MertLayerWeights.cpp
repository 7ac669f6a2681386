#include "core/emotion/MertLayerWeights.h"

#include <torch/torch.h>

#include <cstdio>
#include <stdexcept>

namespace moodsteer {

namespace {

void checkSizes(const std::vector<EmotionExample>& ex, int layers, int dims) {
    if (layers < 1 || dims < 1)
        throw std::invalid_argument("layer weights: need at least one layer and one feature");
    const auto want = static_cast<std::size_t>(layers) * static_cast<std::size_t>(dims);
    for (const auto& e : ex) {
        if (e.features.features.empty())
            throw std::invalid_argument("layer weights: '" + e.name + "' has no windows");
        for (const auto& w : e.features.features)
            if (w.size() != want)
                throw std::invalid_argument("layer weights: '" + e.name + "' has " +
                                            std::to_string(w.size()) + " features per window, " +
                                            std::to_string(layers) + " layers x " +
                                            std::to_string(dims) + " expected");
    }
}

} // namespace

std::vector<float> learnLayerWeights(const std::vector<EmotionExample>& ex, int layers, int dims,
                                     const LayerWeightOptions& o,
                                     const std::function<void(const std::string&)>& log) {
    if (ex.size() < 4)
        throw std::invalid_argument("layer weights: need at least 4 labelled clips, got " +
                                    std::to_string(ex.size()));
    checkSizes(ex, layers, dims);
    torch::NoGradGuard outer;
    const auto n = static_cast<int64_t>(ex.size());
    // Clip level: the mean of each clip's windows, per layer; targets and clip weights.
    auto x = torch::zeros({n, layers, dims}, torch::kFloat64);
    auto y = torch::zeros({n, 2}, torch::kFloat64);
    auto cw = torch::zeros({n}, torch::kFloat64);
    for (int64_t i = 0; i < n; ++i) {
        const auto& wins = ex[i].features.features;
        auto acc = torch::zeros({layers * dims}, torch::kFloat64);
        for (const auto& w : wins)
            acc += torch::from_blob(const_cast<float*>(w.data()), {layers * dims}, torch::kFloat32)
                       .to(torch::kFloat64);
        x[i] = (acc / static_cast<double>(wins.size())).view({layers, dims});
        y[i][0] = ex[i].target.valence;
        y[i][1] = ex[i].target.arousal;
        cw[i] = ex[i].weight;
    }
    // Each layer's features standardised over the clips, so no layer wins by its scale; the
    // targets standardised so that both dimensions count alike.
    x = (x - x.mean(0, true)) / (x.std(0, false, true) + 1e-8);
    y = (y - y.mean(0, true)) / (y.std(0, false, true) + 1e-8);
    cw = cw / cw.sum();

    torch::manual_seed(o.seed);
    torch::Tensor logits;
    {
        torch::AutoGradMode on(true);
        logits = torch::zeros({layers}, torch::dtype(torch::kFloat64).requires_grad(true));
        auto readout = torch::zeros({dims, 2}, torch::dtype(torch::kFloat64).requires_grad(true));
        auto bias = torch::zeros({2}, torch::dtype(torch::kFloat64).requires_grad(true));
        torch::optim::Adam opt({logits, readout, bias}, torch::optim::AdamOptions(o.learningRate));
        for (int step = 1; step <= o.steps; ++step) {
            opt.zero_grad();
            const auto a = torch::softmax(logits, 0);
            const auto mixed = torch::einsum("l,nld->nd", {a, x});
            const auto pred = torch::matmul(mixed, readout) + bias;
            const auto mse = ((pred - y).pow(2).sum(1) * cw).sum() / 2;
            const auto loss = mse + o.weightDecay * readout.pow(2).sum();
            loss.backward();
            opt.step();
            if (log && (step == 1 || step % 100 == 0 || step == o.steps)) {
                char line[96];
                std::snprintf(line, sizeof line, "layer weights: step %d/%d, fit %.4f", step,
                              o.steps, mse.item<double>());
                log(line);
            }
        }
    }
    const auto a = torch::softmax(logits.detach(), 0).to(torch::kFloat32).contiguous();
    std::vector<float> w(a.data_ptr<float>(), a.data_ptr<float>() + layers);
    // Exactly 1 in float, so the encoder's check holds after a round trip through text.
    float sum = 0;
    for (float v : w)
        sum += v;
    for (float& v : w)
        v /= sum;
    return w;
}

std::vector<EmotionExample> weightLayers(const std::vector<EmotionExample>& ex,
                                         const std::vector<float>& weights, int dims) {
    const int layers = static_cast<int>(weights.size());
    checkSizes(ex, layers, dims);
    std::vector<EmotionExample> out = ex;
    for (auto& e : out)
        for (auto& w : e.features.features) {
            std::vector<float> mixed(static_cast<std::size_t>(dims), 0.0f);
            for (int l = 0; l < layers; ++l)
                for (int d = 0; d < dims; ++d)
                    mixed[d] += weights[l] * w[static_cast<std::size_t>(l) * dims + d];
            w = std::move(mixed);
        }
    return out;
}

} // namespace moodsteer
