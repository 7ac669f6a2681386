// The embedded-model part of `moodsteer-cli bench` (see core/bench/Benchmark.h).
#pragma once

#include "core/bench/Benchmark.h"

namespace moodsteer {

/// Loads the embedded model once per precision with `threads` threads and times streaming
/// generation of `seconds` of audio; fills report.embedded* (nothing when it is not shipped).
void benchEmbeddedModel(const std::vector<std::string>& precisions, int threads, double seconds,
                        BenchReport& report, const std::function<void(const std::string&)>& say);

} // namespace moodsteer
