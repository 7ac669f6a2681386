#include "HubResponses.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace moodsteer::hub {

namespace {

std::string headerValue(const std::map<std::string, std::string>& h, const std::string& name) {
    auto it = h.find(name);
    return it == h.end() ? "" : it->second;
}

// A byte count as the server wrote it: decimal digits only, within 64 bits.
std::uint64_t parseSize(const std::string& text, const std::string& what) {
    if (text.empty()) return 0;
    if (text.size() > 19 || !std::all_of(text.begin(), text.end(),
                                         [](unsigned char c) { return std::isdigit(c) != 0; }))
        throw HubError(what + ": the hub sent a malformed file size '" + text.substr(0, 40) + "'");
    return std::stoull(text);
}

} // namespace

std::string normaliseEtag(std::string e) {
    if (e.rfind("W/", 0) == 0) e = e.substr(2);
    e.erase(std::remove(e.begin(), e.end(), '"'), e.end());
    return e;
}

RevisionAnswer parseRevisionAnswer(const std::string& body, const std::string& what,
                                   const std::string& endpoint) {
    RevisionAnswer a;
    try {
        const auto j = nlohmann::json::parse(body);
        if (!j.is_object()) throw nlohmann::json::type_error::create(302, "not an object", &j);
        if (j.contains("sha") && j["sha"].is_string()) a.commit = j["sha"].get<std::string>();
        if (j.contains("siblings") && j["siblings"].is_array()) {
            a.haveSiblings = true;
            for (const auto& s : j["siblings"])
                if (s.is_object() && s.contains("rfilename") && s["rfilename"].is_string())
                    a.siblings.insert(s["rfilename"].get<std::string>());
        }
    } catch (const nlohmann::json::exception&) {
        throw HubError(what + ": the hub's revision answer is not JSON (is " + endpoint +
                       " a Hugging Face hub?)");
    }
    const bool hex =
        a.commit.size() == 40 && std::all_of(a.commit.begin(), a.commit.end(), [](unsigned char c) {
            return std::isdigit(c) || (c >= 'a' && c <= 'f');
        });
    if (!hex) throw HubError(what + ": the hub did not name a commit for this revision");
    return a;
}

FileHeaders parseFileHeaders(const std::map<std::string, std::string>& headers,
                             const std::string& what) {
    FileHeaders f;
    f.etag = normaliseEtag(headerValue(headers, "x-linked-etag"));
    if (f.etag.empty()) f.etag = normaliseEtag(headerValue(headers, "etag"));
    const bool linked = !headerValue(headers, "x-linked-size").empty();
    f.size = parseSize(headerValue(headers, linked ? "x-linked-size" : "content-length"), what);
    // The ETag names a file in blobs/: letters, digits, '-' and '_' only (a hash, in practice).
    const bool plain = !f.etag.empty() && f.etag.size() <= 128 &&
                       std::all_of(f.etag.begin(), f.etag.end(), [](unsigned char c) {
                           return std::isalnum(c) || c == '-' || c == '_';
                       });
    if (!plain) throw HubError(what + ": the hub sent no usable ETag for the file");
    return f;
}

} // namespace moodsteer::hub
