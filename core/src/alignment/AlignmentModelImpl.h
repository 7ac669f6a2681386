// What AlignmentModel hides: the network and its vocabulary (core-internal; the trainer builds
// the same pair).
#pragma once

#include "AlignmentVocabulary.h"
#include "core/alignment/AlignmentModel.h"
#include "models/AlignmentNet.h"

namespace moodsteer {

inline constexpr const char* kAlignmentFormat = "moodsteer-alignment-v1";

struct AlignmentModel::Impl {
    models::AlignmentNet net{nullptr};
    AlignmentVocabulary vocabulary;
};

} // namespace moodsteer
