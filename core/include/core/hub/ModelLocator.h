// Turns what a user names as a model ("embedded", a folder, or a hub repo id such as
// facebook/musicgen-small[@revision]) into the folder to load and the provenance a recipe
// records: the repo id and commit for hub models, the absolute folder and a content hash for
// local folders. Never copies a model; never connects to the network (see HubDownloader).
#pragma once

#include "core/engine/Recipe.h"
#include "core/hub/HubSettings.h"

#include <string>

namespace moodsteer {

struct ModelSource {
    std::string folder;   ///< absolute folder for MusicEngine::load
    std::string model;    ///< what a recipe records: "embedded", "org/name" or an absolute folder
    std::string revision; ///< the commit, for hub models
    std::string contentHash; ///< for the embedded model and local folders (see folderContentHash)
};

class ModelLocator {
  public:
    explicit ModelLocator(HubSettings settings = HubSettings::fromEnvironment());

    /// Throws HubError with one line: a folder that does not exist, or a repo id that is not in
    /// the cache ("... run: moodsteer-cli models pull ID").
    ModelSource resolve(const std::string& spec) const;
    /// Provenance of a folder: a hub snapshot gives repo id + commit, anything else its
    /// absolute path + content hash.
    static ModelSource describeFolder(const std::string& folder);
    /// "" when a recipe's recorded model is `loaded`; otherwise one line saying why the clip
    /// cannot be regenerated exactly. Recipes from before provenance was recorded pass.
    static std::string mismatch(const Recipe& recipe, const ModelSource& loaded);
    /// Writes model, revision, hash and precision into a recipe.
    static void stamp(Recipe& recipe, const ModelSource& source, const std::string& precision);

  private:
    HubSettings settings_;
};

/// "sha256:<hex>" over the model files' names, sizes and contents (files over 256 MB: their
/// first and last 16 MB), so a local folder whose weights change gets a different hash
/// without re-reading gigabytes on every load.
std::string folderContentHash(const std::string& folder);

} // namespace moodsteer
