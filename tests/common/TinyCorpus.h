// The trainer tests' corpus: 16 procedural pieces of 4 s (tokens only, seed 5), written once
// per test process into its scratch folder.
#pragma once

#include "TestPaths.h"

#include "core/corpus/CorpusWriter.h"

#include <string>

namespace moodsteer::test {

inline std::string tinyCorpus() {
    static const std::string dir = [] {
        const auto d = scratchDir("tiny-corpus") / "corpus";
        CorpusOptions o;
        o.outDir = d.string();
        o.count = 16;
        o.seconds = 4.0;
        o.seed = 5;
        o.tokensOnly = true;
        CorpusWriter(o).run();
        return d.string();
    }();
    return dir;
}

} // namespace moodsteer::test
