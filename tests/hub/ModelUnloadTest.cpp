// Unloading a model gives its memory back: RSS before load, loaded (after a generation) and
// after unload, printed so the figures can be quoted.
#include "core/hub/ModelUnload.h"
#include "core/bench/Benchmark.h"
#include "core/engine/MusicEngine.h"

#include <gtest/gtest.h>

#include <cstdio>

using namespace moodsteer;

TEST(ModelUnload, UnloadingTheEngineReturnsItsMemory) {
    const auto folder = MusicEngine::embeddedModelFolder();
    if (folder.empty()) GTEST_SKIP() << "resources/model is absent";
    Recipe r;
    r.prompt = "calm piano";
    r.seconds = 2;
    {
        // A first load pays LibTorch's one-time costs (thread pools, kernels) that stay.
        auto warm = MusicEngine::load(folder);
        warm->generate(r);
        unloadModel(warm);
    }
#ifdef __SANITIZE_ADDRESS__
    GTEST_SKIP() << "AddressSanitizer quarantines freed memory and maps shadow memory: RSS is not "
                    "the program's";
#endif
    const double before = currentRssMB();
    auto engine = MusicEngine::load(folder, {1, "f32"});
    engine->generate(r);
    const double loaded = currentRssMB();
    const double freed = unloadModel(engine);
    const double after = currentRssMB();
    std::printf("RSS: %.1f MB before load, %.1f MB loaded, %.1f MB after unload (%.1f MB freed)\n",
                before, loaded, after, freed);
    EXPECT_EQ(engine, nullptr);
    ASSERT_GT(loaded - before, 15.0); // the model's weights (5.9 M float32 parameters = 24 MB)
    // Most of it comes back; what stays (~10 MB here) is per-process scratch that a later
    // load reuses, not the weights.
    EXPECT_LT(after - before, 0.4 * (loaded - before));
}
