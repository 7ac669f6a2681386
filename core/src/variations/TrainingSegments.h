// Segments of corpus pieces for the variation generator's training and measurements.
#pragma once

#include "core/audio/AudioCodec.h"
#include "variations/VariationFields.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace moodsteer::variations {

struct CorpusPieces {
    std::vector<CodeGrid> codes;
    std::vector<std::string> genres;
    std::vector<double> valence, arousal;
};

/// The pieces of a corpus folder (TrainingCorpus's reader); throws naming the folder.
CorpusPieces loadPieces(const std::string& dir);

/// Where a segment comes from.
struct SegmentRef {
    int piece = 0;
    int begin = 0;
};

/// Segments of `frames` every `hop` frames of every piece at least `frames` long (a shorter
/// piece gives one padded segment).
std::vector<SegmentRef> fixedSegments(const CorpusPieces& pieces, int frames, int hop);

/// `count` random crops (uniform piece, uniform start).
std::vector<SegmentRef> randomSegments(const CorpusPieces& pieces, int frames, int count,
                                       std::mt19937_64& rng);

std::vector<SegmentFields> fieldsOf(const CorpusPieces& pieces, const std::vector<SegmentRef>& refs,
                                    int frames);

} // namespace moodsteer::variations
