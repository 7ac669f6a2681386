#include "core/hub/ModelCatalogue.h"

namespace moodsteer {

const std::vector<CatalogueEntry>& modelCatalogue() {
    static const std::vector<CatalogueEntry> entries = [] {
        const ModelFiles musicgen; // config.json, model.safetensors (+ generation config, spiece)
        ModelFiles mert;
        mert.required = {"config.json", "model.safetensors"};
        mert.optional = {"preprocessor_config.json"};
        std::vector<CatalogueEntry> e;
        e.push_back({"embedded", "MoodSteer embedded model (5.9 M, ships with the studio)",
                     "musicgen", "project's own", 0.0, 0.0059, true, "", musicgen});
        e.push_back({"facebook/musicgen-small", "MusicGen small: text to music, 32 kHz mono",
                     "musicgen", "CC-BY-NC 4.0", 2.4, 0.59, true, "", musicgen});
        e.push_back({"facebook/musicgen-medium", "MusicGen medium: text to music, 32 kHz mono",
                     "musicgen", "CC-BY-NC 4.0", 8.0, 1.5, true, "", musicgen, "refs/pr/10"});
        e.push_back({"facebook/musicgen-large", "MusicGen large: text to music, 32 kHz mono",
                     "musicgen", "CC-BY-NC 4.0", 13.7, 3.3, true, "", musicgen, "refs/pr/18"});
        e.push_back({"facebook/musicgen-melody", "MusicGen melody: text + melody to music",
                     "musicgen", "CC-BY-NC 4.0", 6.2, 1.5, false,
                     "it conditions on a chromagram of a melody through a different decoder "
                     "input (MusicgenMelody), which this engine does not implement",
                     musicgen});
        e.push_back({"m-a-p/MERT-v1-95M", "MERT v1 95M: music features for the emotion head",
                     "mert", "CC-BY-NC 4.0", 0.38, 0.095, true, "", mert});
        return e;
    }();
    return entries;
}

const CatalogueEntry* findCatalogueEntry(const std::string& id) {
    for (const auto& e : modelCatalogue())
        if (e.id == id) return &e;
    return nullptr;
}

ModelFiles filesFor(const std::string& repoId) {
    if (const auto* e = findCatalogueEntry(repoId)) return e->files;
    return {};
}

} // namespace moodsteer
