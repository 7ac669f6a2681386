#include "CacheAttention.h"

#include "Kernels.h"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>

#include <vector>

namespace moodsteer::models {
namespace {

// Runs attendOne(task, i, scores, out) for every query i of every (item, head) task, the tasks
// shared over LibTorch's threads, each thread with its own scores scratch.
template <typename AttendOne>
void forEveryQuery(int64_t tasks, int64_t T, int64_t positions, const AttendOne& attendOne) {
    at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
        std::vector<float> scores(static_cast<size_t>(positions));
        for (int64_t task = begin; task < end; ++task)
            for (int64_t i = 0; i < T; ++i)
                attendOne(task, i, scores.data());
    });
}

} // namespace

bool cacheAttentionSupported(const torch::Tensor& q, const LayerKv& kv, int64_t past) {
    if (at::GradMode::is_enabled() || !q.defined() || q.dim() != 4 ||
        q.scalar_type() != at::kFloat || !q.device().is_cpu() || !kv.k.defined() || kv.k.dim() != 4)
        return false;
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), hd = q.size(3),
                  capacity = kv.k.size(2);
    if (T < 1 || past < 0 || past + T > capacity) return false;
    const auto type = kv.k.scalar_type();
    auto cacheOk = [&](const torch::Tensor& c) {
        return c.defined() && c.is_contiguous() && c.device().is_cpu() &&
               c.sizes() == at::IntArrayRef({B, H, capacity, hd}) && c.scalar_type() == type;
    };
    auto scalesOk = [&](const torch::Tensor& s) {
        return s.defined() && s.scalar_type() == at::kFloat && s.is_contiguous() &&
               s.sizes() == at::IntArrayRef({B, H, capacity});
    };
    if (!cacheOk(kv.k) || !cacheOk(kv.v)) return false;
    if (kv.int8()) return type == at::kChar && scalesOk(kv.kScale) && scalesOk(kv.vScale);
    return type == at::kFloat || type == at::kBFloat16;
}

torch::Tensor cacheAttention(const torch::Tensor& q, const LayerKv& kv, int64_t past) {
    if (!cacheAttentionSupported(q, kv, past))
        throw std::invalid_argument("cacheAttention: unsupported query or cache");
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), hd = q.size(3),
                  capacity = kv.k.size(2), D = H * hd;
    const auto qc = q.contiguous();
    const float* qs = qc.data_ptr<float>();
    auto out = at::empty({B, T, D}, q.options());
    float* o = out.data_ptr<float>();
    // Task (b, head): query i at qs[((task * T) + i) * hd], output row (b, i) at head's columns.
    auto query = [&](int64_t task, int64_t i) { return qs + (task * T + i) * hd; };
    auto output = [&](int64_t task, int64_t i) {
        return o + ((task / H) * T + i) * D + (task % H) * hd;
    };
    const int64_t positions = past + T;
    const auto& k = kernels::active();
    if (kv.int8()) {
        const auto* keys = kv.k.data_ptr<int8_t>();
        const auto* values = kv.v.data_ptr<int8_t>();
        const float* ks = kv.kScale.data_ptr<float>();
        const float* vs = kv.vScale.data_ptr<float>();
        forEveryQuery(B * H, T, positions, [&](int64_t task, int64_t i, float* scores) {
            const int64_t row = task * capacity;
            k.attendInt8.run(query(task, i), keys + row * hd, ks + row, values + row * hd, vs + row,
                             past + i + 1, hd, nullptr, scores, output(task, i));
        });
    } else if (kv.k.scalar_type() == at::kBFloat16) {
        static_assert(sizeof(c10::BFloat16) == sizeof(kernels::Bf16));
        const auto* keys = reinterpret_cast<const kernels::Bf16*>(kv.k.data_ptr<c10::BFloat16>());
        const auto* values = reinterpret_cast<const kernels::Bf16*>(kv.v.data_ptr<c10::BFloat16>());
        forEveryQuery(B * H, T, positions, [&](int64_t task, int64_t i, float* scores) {
            const int64_t base = task * capacity * hd;
            k.attendBf16.run(query(task, i), keys + base, values + base, past + i + 1, hd, nullptr,
                             scores, output(task, i));
        });
    } else {
        const float* keys = kv.k.data_ptr<float>();
        const float* values = kv.v.data_ptr<float>();
        forEveryQuery(B * H, T, positions, [&](int64_t task, int64_t i, float* scores) {
            const int64_t base = task * capacity * hd;
            k.attendF32.run(query(task, i), keys + base, values + base, past + i + 1, hd, nullptr,
                            scores, output(task, i));
        });
    }
    return out;
}

} // namespace moodsteer::models
