#include "core/variations/VariationSource.h"

#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"
#include "core/io/CodesFile.h"
#include "core/synth/MidiReader.h"
#include "core/synth/SynthCodec.h"
#include "core/variations/VariationGenerator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace moodsteer {

CodeGrid loadVariationSource(const std::string& path) {
    namespace fs = std::filesystem;
    if (!fs::is_regular_file(path)) throw VariationError("'" + path + "': no such file");
    auto ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    CodeGrid codes;
    try {
        if (ext == ".safetensors") {
            codes = readCodesFile(path);
        } else if (ext == ".json") {
            std::ifstream in(path);
            std::stringstream text;
            text << in.rdbuf();
            const auto recipe = Recipe::fromJson(text.str(), path);
            // An imported MIDI piece or a variation has no prompt to regenerate from: its
            // codes are the clip, written beside the recipe (import-midi: STEM.codes.
            // safetensors; variations: STEM.safetensors), else its MIDI file.
            if (!recipe.importedFrom.empty() || !recipe.variationOf.empty()) {
                std::string stem = path.substr(0, path.size() - ext.size());
                if (stem.size() > 7 && stem.compare(stem.size() - 7, 7, ".recipe") == 0)
                    stem.resize(stem.size() - 7);
                for (const auto& codesFile : {stem + ".codes.safetensors", stem + ".safetensors"})
                    if (fs::is_regular_file(codesFile)) return loadVariationSource(codesFile);
                if (!recipe.importedFrom.empty()) return loadVariationSource(recipe.importedFrom);
                throw VariationError("'" + path +
                                     "' is a variation: give its codes file (.safetensors)");
            }
            if (recipe.model != "embedded")
                throw VariationError("'" + path + "' is a clip of '" + recipe.model +
                                     "'; variations need a clip of the embedded model");
            const auto folder = MusicEngine::embeddedModelFolder();
            if (folder.empty()) throw VariationError("the embedded model is not installed");
            auto engine = MusicEngine::load(folder);
            codes = engine->promptCodes(path);
        } else if (ext == ".mid" || ext == ".midi") {
            codes = MidiReader::read(path).codes;
        } else {
            throw VariationError("'" + path +
                                 "': expected a codes file (.safetensors), the recipe (.json) "
                                 "of an embedded-model clip or a MIDI file (.mid)");
        }
    } catch (const VariationError&) {
        throw;
    } catch (const std::exception& e) {
        throw VariationError("'" + path + "': " + e.what());
    }
    try {
        SynthCodec::validate(codes);
    } catch (const std::exception& e) {
        throw VariationError("'" + path + "' does not hold SynthCodec codes: " + e.what());
    }
    return codes;
}

} // namespace moodsteer
