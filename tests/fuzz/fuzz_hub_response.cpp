// libFuzzer target for what the model manager reads from a hub (HF_ENDPOINT may be any server):
// the first byte picks the reader, the rest is what the server sent.
//  even: the body of /api/models/{repo}/revision/{rev} -> a 40-hex commit and the file list,
//        or HubError;
//  odd:  a HEAD's headers ("Name: value" lines) -> an ETag usable as a blob file name (no '/',
//        no "..", not empty) and a size, or HubError.
// Another exception type (std::invalid_argument from a size, a JSON type_error) or a crash is
// a finding.
#include "hub/HubResponses.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace moodsteer;
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (data[0] % 2 == 0) {
            const auto a = hub::parseRevisionAnswer(text, "fuzz/repo", "http://127.0.0.1");
            if (a.commit.size() != 40) std::abort();
            for (char c : a.commit)
                if (!std::isxdigit(static_cast<unsigned char>(c))) std::abort();
            if (!a.haveSiblings && !a.siblings.empty()) std::abort();
        } else {
            std::map<std::string, std::string> headers;
            std::istringstream lines(text);
            std::string line;
            while (std::getline(lines, line)) {
                const auto colon = line.find(':');
                if (colon == std::string::npos) continue;
                std::string name = line.substr(0, colon);
                std::transform(name.begin(), name.end(), name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                headers[name] = value;
            }
            const auto f = hub::parseFileHeaders(headers, "fuzz/repo/file");
            if (f.etag.empty() || f.etag.find('/') != std::string::npos ||
                f.etag.find("..") != std::string::npos)
                std::abort();
        }
    } catch (const HubError&) {
    }
    return 0;
}
