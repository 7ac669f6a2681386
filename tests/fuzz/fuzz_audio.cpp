// libFuzzer target for audio input (readAudioFile, our wrapper over libsndfile): any bytes must
// give a non-empty, finite, mono buffer at a rate inside the documented limits, or throw
// AudioFileError naming the file. Header fields (frames, channels, rate) are attacker-chosen:
// none may size an allocation beyond the documented limits or crash the reader.
#include "FuzzFile.h"

#include "core/audio/AudioFile.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace moodsteer;
    FuzzFile file(data, size);
    try {
        const AudioBuffer a = readAudioFile(file.path());
        if (a.samples.empty() || a.samples.size() > kMaxReadSamples) std::abort();
        if (a.sampleRate < kMinReadRate || a.sampleRate > kMaxReadRate) std::abort();
        for (float s : a.samples)
            if (!std::isfinite(s)) std::abort();
    } catch (const AudioFileError&) {
    }
    return 0;
}
