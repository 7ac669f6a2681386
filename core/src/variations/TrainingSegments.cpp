#include "variations/TrainingSegments.h"

#include "training/TrainingCorpus.h"

#include <algorithm>

namespace moodsteer::variations {

CorpusPieces loadPieces(const std::string& dir) {
    auto corpus = TrainingCorpus::load(dir);
    CorpusPieces out;
    for (auto& p : corpus.pieces) {
        if (p.codes.numCodebooks != 4 || p.codes.frames < 1)
            throw std::runtime_error("corpus '" + dir +
                                     "' has a piece that is not SynthCodec codes");
        out.codes.push_back(std::move(p.codes));
        out.genres.push_back(p.genre);
        out.valence.push_back(p.valence);
        out.arousal.push_back(p.arousal);
    }
    return out;
}

std::vector<SegmentRef> fixedSegments(const CorpusPieces& pieces, int frames, int hop) {
    std::vector<SegmentRef> out;
    for (std::size_t p = 0; p < pieces.codes.size(); ++p) {
        const int n = pieces.codes[p].frames;
        if (n <= frames) {
            out.push_back({static_cast<int>(p), 0});
            continue;
        }
        for (int b = 0; b + frames <= n; b += hop)
            out.push_back({static_cast<int>(p), b});
    }
    return out;
}

std::vector<SegmentRef> randomSegments(const CorpusPieces& pieces, int frames, int count,
                                       std::mt19937_64& rng) {
    std::vector<SegmentRef> out;
    std::uniform_int_distribution<std::size_t> pick(0, pieces.codes.size() - 1);
    for (int i = 0; i < count; ++i) {
        const auto p = pick(rng);
        const int span = std::max(0, pieces.codes[p].frames - frames);
        std::uniform_int_distribution<int> start(0, span);
        out.push_back({static_cast<int>(p), start(rng)});
    }
    return out;
}

std::vector<SegmentFields> fieldsOf(const CorpusPieces& pieces, const std::vector<SegmentRef>& refs,
                                    int frames) {
    std::vector<SegmentFields> out;
    out.reserve(refs.size());
    for (const auto& r : refs)
        out.push_back(toFields(pieces.codes[static_cast<std::size_t>(r.piece)], r.begin, frames));
    return out;
}

} // namespace moodsteer::variations
