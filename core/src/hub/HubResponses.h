// What the hub client reads from the network, parsed apart from the transfer so that it can be
// fuzzed (tests/fuzz/fuzz_hub_response.cpp): the revision answer of /api/models/{repo}/revision/
// {rev} and the headers of a file's HEAD. Anything a server sends either parses into checked
// values or throws HubError with one line naming `what` (the repo or file).
#pragma once

#include "core/hub/HubDownloader.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace moodsteer::hub {

struct RevisionAnswer {
    std::string commit;             ///< 40 lower-case hex digits
    bool haveSiblings = false;      ///< the answer listed the repo's files
    std::set<std::string> siblings; ///< their names (relative paths)
};

/// Parses the JSON answer; `endpoint` is named when it is not a hub's answer at all.
RevisionAnswer parseRevisionAnswer(const std::string& body, const std::string& what,
                                   const std::string& endpoint);

struct FileHeaders {
    std::string etag;       ///< the blob name: sha256 of an LFS file or git sha1, normalised
    std::uint64_t size = 0; ///< 0 when the server did not say
};

/// From a HEAD's headers (lower-case names): X-Linked-Etag, else ETag; X-Linked-Size, else
/// Content-Length. The ETag becomes a file name in blobs/, so it must be a plain token.
FileHeaders parseFileHeaders(const std::map<std::string, std::string>& headers,
                             const std::string& what);

/// huggingface_hub's normalisation: drop a weak "W/" prefix and the quotes.
std::string normaliseEtag(std::string etag);

} // namespace moodsteer::hub
