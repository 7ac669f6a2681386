// A hub repository and revision as a user writes it: "facebook/musicgen-small" or
// "facebook/musicgen-small@<branch, tag or commit>".
#pragma once

#include <string>

namespace moodsteer {

struct RepoRef {
    std::string id; ///< "org/name"
    /// branch, tag or 40-digit commit; without "@rev" the catalogue's revision for the id
    /// (ModelCatalogue.h), else "main"
    std::string revision = "main";

    /// Throws std::invalid_argument with a one-line reason for anything that is not a repo id.
    static RepoRef parse(const std::string& text);
    /// Whether `text` has the shape of a repo id (org/name[@rev]) rather than a folder path.
    static bool looksLikeRepoId(const std::string& text);
    std::string toString() const { return revision == "main" ? id : id + "@" + revision; }
};

} // namespace moodsteer
