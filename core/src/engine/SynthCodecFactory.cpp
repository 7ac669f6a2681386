#include "engine/SynthCodecFactory.h"

#include "core/engine/MusicEngine.h"
#include "core/synth/SynthCodec.h"

namespace moodsteer {

std::unique_ptr<AudioCodec> makeSymbolicCodec(const std::string& name, const nlohmann::json&) {
    if (name == "synthcodec") return std::make_unique<SynthCodec>();
    throw EngineError("unknown codec '" + name + "' in the model's config.json");
}

} // namespace moodsteer
