#include "core/hub/RepoRef.h"

#include "core/hub/ModelCatalogue.h"

#include <stdexcept>

namespace moodsteer {
namespace {

// The hub's rule for each part of an id: letters, digits, '-', '_', '.'; no "--" or "..",
// not starting or ending with '-' or '.'.
bool validPart(const std::string& s) {
    if (s.empty() || s.size() > 96) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    if (s.find("--") != std::string::npos || s.find("..") != std::string::npos) return false;
    return s.front() != '-' && s.front() != '.' && s.back() != '-' && s.back() != '.';
}

bool validRevision(const std::string& r) {
    if (r.empty() || r.size() > 128 || r.find("..") != std::string::npos || r.front() == '/')
        return false;
    for (char c : r)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
              c == '/'))
            return false;
    return true;
}

} // namespace

RepoRef RepoRef::parse(const std::string& text) {
    RepoRef r;
    const auto at = text.find('@');
    r.id = text.substr(0, at);
    if (at != std::string::npos)
        r.revision = text.substr(at + 1);
    else if (const auto* entry = findCatalogueEntry(r.id))
        r.revision = entry->revision; // where the catalogue knows the safetensors live
    const auto slash = r.id.find('/');
    if (slash == std::string::npos || r.id.find('/', slash + 1) != std::string::npos ||
        !validPart(r.id.substr(0, slash)) || !validPart(r.id.substr(slash + 1)))
        throw std::invalid_argument("'" + text +
                                    "' is not a repo id (expected org/name, e.g. "
                                    "facebook/musicgen-small, optionally @revision)");
    if (!validRevision(r.revision))
        throw std::invalid_argument("'" + text + "': invalid revision '" + r.revision + "'");
    return r;
}

bool RepoRef::looksLikeRepoId(const std::string& text) {
    if (text.empty() || text.front() == '/' || text.front() == '.' || text.front() == '~')
        return false;
    try {
        parse(text);
        return true;
    } catch (const std::invalid_argument&) {
        return false;
    }
}

} // namespace moodsteer
