// Training crops with a mood change inside (BatchShape::transitionShare): the crop is another
// piece's music of the same genre, then the conditioned piece; the context is not scored, its
// LARA windows are the context's own, and runs without mood changes draw as before.
#include "training/TrainingBatch.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;

namespace {

constexpr int kCodebooks = 2, kFrames = 20, kWindow = 5, kCrop = 15, kPad = 1000;

/// Pieces whose codes name the piece and the frame (piece * 100 + frame), two genres.
TrainingCorpus corpus() {
    TrainingCorpus c;
    c.genres = {"jazz", "rock"};
    c.windowFrames = kWindow;
    c.featureSize = 1;
    for (int i = 0; i < 8; ++i) {
        TrainingPiece p;
        p.codes = CodeGrid(kCodebooks, kFrames);
        for (int k = 0; k < kCodebooks; ++k)
            for (int t = 0; t < kFrames; ++t)
                p.codes.at(k, t) = i * 100 + t;
        p.genre = c.genres[i % 2];
        p.valence = 1 + i, p.arousal = 9 - i;
        p.promptIds = {5, 1};
        for (int w = 0; w < kFrames / kWindow; ++w)
            p.windows.push_back({static_cast<float>(i * 10 + w)});
        c.pieces.push_back(std::move(p));
    }
    return c;
}

BatchShape shape(double transitions) {
    BatchShape s;
    s.cropFrames = kCrop;
    s.windowFrames = kWindow;
    s.avDropout = s.textDropout = 0.5;
    s.transitionShare = transitions;
    return s;
}

} // namespace

TEST(TrainingBatch, MoodChangeCropsJoinTwoPiecesOfOneGenreAndScoreOnlyTheSecond) {
    const auto c = corpus();
    std::mt19937_64 rng(3);
    const auto draws = drawBatch(c, 64, shape(1.0), rng);
    const DelayPattern pattern(kCodebooks, kCrop, kPad);
    const auto batch = buildBatch(draws, pattern, shape(1.0), true, true);
    int changes = 0;
    for (std::size_t b = 0; b < draws.size(); ++b) {
        const auto& d = draws[b];
        if (d.window == 0) { // an opening stays one
            EXPECT_EQ(d.context, nullptr);
            continue;
        }
        ++changes;
        ASSERT_NE(d.context, nullptr);
        EXPECT_EQ(d.context->genre, d.piece->genre);
        EXPECT_TRUE(d.contextFrames == kWindow || d.contextFrames == 2 * kWindow);
        EXPECT_FALSE(d.dropAv || d.dropText) << "a mood change keeps its conditions";
        const long pieceId = (d.piece - c.pieces.data()) * 100,
                   contextId = (d.context - c.pieces.data()) * 100;
        const auto w = tokenWeights(d, pattern, shape(1.0));
        for (int k = 0; k < kCodebooks; ++k)
            for (int t = 0; t < pattern.length() - 1; ++t) {
                const long row = static_cast<long>(b) * kCodebooks + k;
                if (pattern.isForced(k, t + 1)) continue;
                const int frame = pattern.frameAt(k, t + 1);
                const long expected = frame < d.contextFrames
                                          ? contextId + d.contextWindow * kWindow + frame
                                          : pieceId + d.window * kWindow + frame - d.contextFrames;
                EXPECT_EQ(batch.target[(row * (pattern.length() - 1)) + t].item<long>(), expected);
                EXPECT_EQ(w[static_cast<std::size_t>(k) * (pattern.length() - 1) + t],
                          frame < d.contextFrames ? 0.0f : 1.0f);
            }
        // The conditions are the second piece's; LARA's targets follow the music.
        EXPECT_EQ(batch.va[b][0].item<float>(), d.piece->valence);
        const int before = d.contextFrames / kWindow;
        for (int win = 0; win < kCrop / kWindow; ++win) {
            const float expected = win < before ? d.context->windows[d.contextWindow + win][0]
                                                : d.piece->windows[d.window + win - before][0];
            EXPECT_EQ(batch.laraTarget[b][win][0].item<float>(), expected);
        }
    }
    EXPECT_GT(changes, 0); // share 1: every crop that is not an opening
}

TEST(TrainingBatch, MoodChangesLeaveTheOtherDrawsAsTheyWere) {
    const auto c = corpus();
    std::mt19937_64 a(9), b(9);
    const auto plain = drawBatch(c, 32, shape(0.0), a);
    const auto mixed = drawBatch(c, 32, shape(0.3), b);
    int changes = 0;
    for (std::size_t i = 0; i < plain.size(); ++i) {
        EXPECT_EQ(plain[i].piece, mixed[i].piece);
        EXPECT_EQ(plain[i].window, mixed[i].window);
        EXPECT_EQ(plain[i].context, nullptr);
        if (mixed[i].context) {
            ++changes;
        } else {
            EXPECT_EQ(plain[i].dropAv, mixed[i].dropAv);
            EXPECT_EQ(plain[i].dropText, mixed[i].dropText);
        }
    }
    EXPECT_GT(changes, 0);
    EXPECT_LT(changes, 32);
}

TEST(TrainingBatch, AMoodChangeNeedsTwoWindowsInACrop) {
    const auto c = corpus();
    std::mt19937_64 rng(1);
    auto s = shape(0.5);
    s.cropFrames = kWindow;
    EXPECT_THROW(drawBatch(c, 4, s, rng), std::runtime_error);
}
