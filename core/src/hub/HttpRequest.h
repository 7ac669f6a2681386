// One HTTP request through libcurl, as the hub client needs them: HEAD without following
// redirects (the hub's LFS headers are on the redirect itself), GET into memory, and GET
// appended to a file from an offset with a Range header. Errors throw HubError with one line.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace moodsteer::hub {

struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers; ///< lower-case names, of the last response
    std::string body;
};

class HttpRequest {
  public:
    /// `token` (may be empty) is sent as "Authorization: Bearer"; curl drops it when a
    /// redirect leaves the host (the hub's CDN links are pre-signed).
    HttpRequest(std::string url, std::string token);

    HttpResponse head();
    HttpResponse get();
    /// GETs into `path`, from byte `offset` of the file on (Range), following redirects.
    /// A server that ignores the range (200) restarts the file from zero. `onBytes(fileSize)`
    /// is called as data arrives (and about once a second while idle); returning false
    /// cancels. Throws HubError for transport failures (the partial file stays).
    HttpResponse download(const std::string& path, std::uint64_t offset,
                          const std::function<bool(std::uint64_t)>& onBytes);

    /// Set by download() when onBytes asked to stop.
    bool cancelled() const { return cancelled_; }

  private:
    std::string url_, token_;
    bool cancelled_ = false;
};

} // namespace moodsteer::hub
