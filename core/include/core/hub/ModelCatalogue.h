// The models the studio knows by name: what they are, their size and licence, which files the
// engine needs from them, and whether this engine can run them (and why not). Any other repo
// id in a MusicGen layout can be pulled too; it gets the MusicGen file list.
#pragma once

#include "core/hub/HubDownloader.h"

#include <string>
#include <vector>

namespace moodsteer {

struct CatalogueEntry {
    std::string id;         ///< repo id, or "embedded"
    std::string title;      ///< one line for lists
    std::string kind;       ///< "musicgen" (generation) or "mert" (emotion features)
    std::string licence;    ///< of the weights
    double downloadGB = 0;  ///< the files the engine fetches, approximately
    double parametersB = 0; ///< billions
    bool supported = true;
    std::string reason; ///< why not, when unsupported
    ModelFiles files;
    /// The revision a bare id means: the branch holding the weights as safetensors. facebook's
    /// medium and large keep only PyTorch pickles on main; the hub's safetensors conversions of
    /// them live on pull-request refs (medium: one file, large: two shards + index).
    std::string revision = "main";
};

const std::vector<CatalogueEntry>& modelCatalogue();
/// The entry for a repo id, or nullptr.
const CatalogueEntry* findCatalogueEntry(const std::string& id);
/// The files to fetch for any repo id: the catalogue's, else the MusicGen layout.
ModelFiles filesFor(const std::string& repoId);

} // namespace moodsteer
