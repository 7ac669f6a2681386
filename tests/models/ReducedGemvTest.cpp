// The bf16 and int8 GEMV kernels behind ReducedLinear (whichever models/kernels/ picked:
// AVX512_BF16 / AVX512_VNNI here, the portable ones in the MOODSTEER_PORTABLE_KERNELS build),
// against float64 references on odd shapes: K not a multiple of the 32/64-element blocks, N not
// a multiple of the 4-row blocks, 1-4 input rows (and more, done 4 at a time), zero rows and
// large magnitudes. Each kernel is checked twice: tightly against float64 arithmetic on the
// same rounded/quantised operands (only the f32 summation may differ), and against the exact
// product with the error bound that the rounding/quantisation itself allows.
#include "models/ReducedLinear.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

using namespace moodsteer::models;

namespace {

struct Shape {
    int64_t M, N, K;
};

std::vector<Shape> oddShapes() {
    std::vector<Shape> shapes;
    for (int64_t K : {1, 31, 32, 33, 63, 64, 65, 100, 1024, 1031})
        for (int64_t N : {1, 3, 4, 5, 67})
            for (int64_t M : {1, 2, 3, 4})
                shapes.push_back({M, N, K});
    return shapes;
}

/// Inputs with unit-scale, large (1e4 x 1e3) and zero rows mixed in.
std::pair<torch::Tensor, torch::Tensor> operands(const Shape& s, int variant) {
    auto x = torch::randn({s.M, s.K});
    auto w = torch::randn({s.N, s.K});
    if (variant == 1) {
        x *= 1e4;
        w *= 1e3;
    } else if (variant == 2) {
        x[0].zero_();
        w[s.N - 1].zero_();
    }
    return {x, w};
}

torch::Tensor f64(const torch::Tensor& t) {
    return t.to(torch::kDouble);
}

/// sum_k |x[m, k]| |w[n, k]|: the scale any rounding error of x . w is relative to.
torch::Tensor absProducts(const torch::Tensor& x, const torch::Tensor& w) {
    return at::linear(f64(x).abs(), f64(w).abs());
}

/// lin(x) for all of x's rows equals lin of each `chunk` rows of them alone, bit for bit.
void expectRowsAsAlone(const ReducedLinear& lin, const torch::Tensor& x, int64_t chunk,
                       const std::string& what) {
    const int64_t M = x.size(0);
    auto all = lin(x);
    for (int64_t m = 0; m < M; m += chunk) {
        const int64_t rows = std::min<int64_t>(chunk, M - m);
        EXPECT_TRUE(torch::equal(all.narrow(0, m, rows), lin(x.narrow(0, m, rows))))
            << what << " N " << all.size(1) << " K " << x.size(1) << " M " << M << " rows from "
            << m;
    }
}

} // namespace

TEST(ReducedGemv, Bf16KernelMatchesFloat64Reference) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(11);
    double worstRounded = 0, worstExact = 0;
    for (const auto& s : oddShapes())
        for (int variant : {0, 1, 2}) {
            auto [x, w] = operands(s, variant);
            auto y = ReducedLinear(w, WeightPrecision::BF16)(x);
            ASSERT_EQ(std::vector<int64_t>({s.M, s.N}), y.sizes().vec());
            const auto scale = absProducts(x, w);
            // Same bf16 operands (both rounded to nearest even), float64 sums: the kernel may
            // differ only by f32 accumulation, <= K * 2^-24 of sum |x||w|.
            auto rounded = at::linear(f64(x.to(torch::kBFloat16)), f64(w.to(torch::kBFloat16)));
            auto errRounded = (f64(y) - rounded).abs();
            EXPECT_TRUE(
                (errRounded <= scale * (s.K * std::ldexp(1.0, -24)) + 1e-30).all().item<bool>())
                << "M " << s.M << " N " << s.N << " K " << s.K << " variant " << variant;
            // Against the exact product: bf16 keeps 8 significant bits, so each factor is rounded
            // by <= 2^-8 relative and the product by <= 2^-7 + 2^-16.
            auto errExact = (f64(y) - at::linear(f64(x), f64(w))).abs();
            const double bound =
                std::ldexp(1.0, -7) + std::ldexp(1.0, -16) + s.K * std::ldexp(1.0, -24);
            EXPECT_TRUE((errExact <= scale * bound + 1e-30).all().item<bool>())
                << "M " << s.M << " N " << s.N << " K " << s.K << " variant " << variant;
            worstRounded =
                std::max(worstRounded, (errRounded / (scale + 1e-300)).max().item<double>());
            worstExact = std::max(worstExact, (errExact / (scale + 1e-300)).max().item<double>());
            if (variant == 2) {
                EXPECT_EQ(0.0, y[0].abs().max().item<double>()) << "a zero input row";
                EXPECT_EQ(0.0, y.select(1, s.N - 1).abs().max().item<double>())
                    << "a zero weight row";
            }
        }
    std::cout << "  bf16 kernel: worst error / sum|x||w|: " << worstRounded
              << " vs the same bf16 operands in float64, " << worstExact << " vs the exact product"
              << std::endl;
}

TEST(ReducedGemv, Int8KernelMatchesFloat64Reference) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(12);
    double worstQuantised = 0, worstExact = 0;
    for (const auto& s : oddShapes())
        for (int variant : {0, 1, 2}) {
            auto [x, w] = operands(s, variant);
            ReducedLinear lin(w, WeightPrecision::Int8);
            auto y = lin(x);
            ASSERT_EQ(std::vector<int64_t>({s.M, s.N}), y.sizes().vec());
            EXPECT_EQ(s.N * s.K + 8.0 * s.N, lin.bytes()) << "codes + scale and row sum per row";
            // The quantisation the kernel documents, in the same float32 operations.
            auto sw = w.abs().amax(1) / 127.0f;
            sw.masked_fill_(sw == 0, 1.0f);
            auto qw = (w / sw.unsqueeze(1)).round().clamp(-127, 127);
            auto maxX = x.abs().amax(1);
            auto sx = maxX / 127.0f;
            auto inv = torch::where(maxX > 0, 127.0f / maxX, torch::zeros_like(maxX));
            auto qx = (x * inv.unsqueeze(1)).round().clamp(-127, 127);
            // Integer dot products are exact in float64; only sx * sw * dot is rounded (f32).
            auto quantised =
                at::linear(f64(qx), f64(qw)) * f64(sx).unsqueeze(1) * f64(sw).unsqueeze(0);
            auto errQuantised = (f64(y) - quantised).abs();
            EXPECT_TRUE((errQuantised <= quantised.abs() * 4e-7 + 1e-30).all().item<bool>())
                << "M " << s.M << " N " << s.N << " K " << s.K << " variant " << variant;
            // Against the exact product: each code is off by <= 1/2 step, so
            // |error| <= sum_k (|x_k| sw / 2 + |w_k| sx / 2 + sx sw / 4) (+ the f32 rounding).
            auto bound = (at::linear(f64(x).abs(), torch::ones({1, s.K}, torch::kDouble)) *
                              f64(sw).unsqueeze(0) +
                          f64(sx).unsqueeze(1) *
                              at::linear(torch::ones({1, s.K}, torch::kDouble), f64(w).abs()) +
                          f64(sx).unsqueeze(1) * f64(sw).unsqueeze(0) * (s.K / 2.0)) /
                         2.0;
            auto errExact = (f64(y) - at::linear(f64(x), f64(w))).abs();
            EXPECT_TRUE((errExact <= bound * (1 + 1e-6) + quantised.abs() * 4e-7 + 1e-30)
                            .all()
                            .item<bool>())
                << "M " << s.M << " N " << s.N << " K " << s.K << " variant " << variant;
            const auto scale = absProducts(x, w);
            worstQuantised = std::max(
                worstQuantised, (errQuantised / (quantised.abs() + 1e-300)).max().item<double>());
            worstExact = std::max(worstExact, (errExact / (scale + 1e-300)).max().item<double>());
            if (variant == 2) {
                EXPECT_EQ(0.0, y[0].abs().max().item<double>()) << "a zero input row";
                EXPECT_EQ(0.0, y.select(1, s.N - 1).abs().max().item<double>())
                    << "a zero weight row";
            }
        }
    std::cout << "  int8 kernel: worst relative error vs the same quantised operands in float64 "
              << worstQuantised << ", worst error / sum|x||w| vs the exact product " << worstExact
              << std::endl;
}

TEST(ReducedGemv, RowsDoNotDependOnTheirBatch) {
    // More than 4 rows run 4 at a time; each row's result must be bit-identical to running it
    // alone (the decode step has 2 rows, a teacher-forced pass many).
    torch::NoGradGuard noGrad;
    torch::manual_seed(13);
    auto w = torch::randn({37, 97});
    auto x = torch::randn({9, 97});
    for (auto p : {WeightPrecision::BF16, WeightPrecision::Int8, WeightPrecision::Int4}) {
        ReducedLinear lin(w, p);
        auto all = lin(x.view({3, 3, 97}));
        ASSERT_EQ(std::vector<int64_t>({3, 3, 37}), all.sizes().vec());
        for (int64_t m = 0; m < 9; ++m)
            EXPECT_TRUE(torch::equal(all.view({9, 37})[m], lin(x.narrow(0, m, 1))[0]))
                << precisionName(p) << " row " << m;
        // apply() on raw rows gives the same numbers as operator().
        auto raw = torch::empty({9, 37});
        lin.apply(x.data_ptr<float>(), 9, raw.data_ptr<float>());
        EXPECT_TRUE(torch::equal(raw, all.view({9, 37}))) << precisionName(p);
    }
}

TEST(ReducedGemv, Int8ManyRowsTakeTheGemmWithTheSameValues) {
    // From 32 rows (prefills) int8 multiplies through the GEMM on repacked tiles: every row
    // must equal the same row through the decode step's GEMV, bit for bit, whatever the shape
    // (partial tiles, several tasks, K not a multiple of 64).
    torch::NoGradGuard noGrad;
    torch::manual_seed(15);
    for (int64_t N : {37, 300})
        for (int64_t K : {97, 1024}) {
            ReducedLinear lin(torch::randn({N, K}), WeightPrecision::Int8);
            for (int64_t M : {32, 45, 77})
                expectRowsAsAlone(lin, torch::randn({M, K}), 8, "int8");
        }
}

TEST(ReducedGemv, ManyRowsOnSeveralThreadsEqualEachRowAlone) {
    // From 32 rows (a prefill's context) the GEMVs share their output blocks between LibTorch's
    // threads (every core under AllCoresFor): each row must still equal the row through the
    // decode step's single-threaded call, bit for bit, whatever the split.
    torch::NoGradGuard noGrad;
    torch::manual_seed(16);
    const int threadsBefore = torch::get_num_threads();
    torch::set_num_threads(3);
    for (auto p : {WeightPrecision::BF16, WeightPrecision::Int8, WeightPrecision::Int4})
        for (int64_t N : {37, 300})
            for (int64_t K : {97, 1024}) {
                ReducedLinear lin(torch::randn({N, K}), p);
                for (int64_t M : {31, 32, 77})
                    expectRowsAsAlone(lin, torch::randn({M, K}), 4, precisionName(p));
            }
    // f32 through apply() (no gradient: the GEMV for any number of rows).
    auto w = torch::randn({300, 1024});
    ReducedLinear lin(w, WeightPrecision::F32);
    auto x = torch::randn({77, 1024});
    auto all = torch::empty({77, 300});
    lin.apply(x.data_ptr<float>(), 77, all.data_ptr<float>());
    for (int64_t m = 0; m < 77; ++m) {
        auto one = torch::empty({1, 300});
        lin.apply(x[m].contiguous().data_ptr<float>(), 1, one.data_ptr<float>());
        EXPECT_TRUE(torch::equal(all[m], one[0])) << "f32 row " << m;
    }
    torch::set_num_threads(threadsBefore);
}

TEST(ReducedGemv, StackedWeightsEqualTheirParts) {
    // q/k/v and the lm heads are applied as one stacked ReducedLinear: the same numbers as each
    // weight alone, side by side, at every precision and row count.
    torch::NoGradGuard noGrad;
    torch::manual_seed(14);
    std::vector<torch::Tensor> parts{torch::randn({5, 70}), torch::randn({8, 70}),
                                     torch::randn({3, 70})};
    for (auto p : {WeightPrecision::F32, WeightPrecision::BF16, WeightPrecision::Int8,
                   WeightPrecision::Int4})
        for (int64_t rows : {1, 2, 4, 7}) {
            auto x = torch::randn({rows, 70});
            ReducedLinear stacked(parts, p);
            ASSERT_EQ(16, stacked.outFeatures());
            std::vector<torch::Tensor> alone;
            for (const auto& w : parts)
                alone.push_back(ReducedLinear(w, p)(x));
            auto expected = torch::cat(alone, 1);
            auto got = stacked(x);
            // int8 quantises per output row and per input row, int4 per group of an output
            // row, bf16 rounds per element: the same in both; f32 with more than 4 rows runs
            // BLAS on each part.
            const double d = (got - expected).abs().max().item<double>();
            EXPECT_LE(d, 1e-5 * expected.abs().max().item<double>())
                << precisionName(p) << " rows " << rows;
        }
    EXPECT_THROW(ReducedLinear({torch::randn({2, 3}), torch::randn({2, 4})}, WeightPrecision::F32),
                 std::invalid_argument);
}
