#include "hub/HttpRequest.h"

#include "core/hub/HubDownloader.h"

#include <curl/curl.h>

#include <cstdio>
#include <memory>
#include <mutex>

namespace moodsteer::hub {
namespace {

void initCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

struct Transfer {
    HttpResponse* response = nullptr;
    std::FILE* file = nullptr;
    std::string path;
    std::uint64_t fileSize = 0;
    bool bodyStarted = false;
    bool restartFromZero = false;
    const std::function<bool(std::uint64_t)>* onBytes = nullptr;
    bool cancelled = false;
};

size_t onHeader(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string line(data, size * n);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) { // a new response (after a redirect): start over
        t->response->headers.clear();
        const auto sp = line.find(' ');
        t->response->status = sp == std::string::npos ? 0 : std::atol(line.c_str() + sp + 1);
        return size * n;
    }
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        const auto b = value.find_first_not_of(" \t");
        value = b == std::string::npos ? "" : value.substr(b);
        t->response->headers[lower(line.substr(0, colon))] = value;
    }
    return size * n;
}

size_t onBodyToString(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (t->response->body.size() + size * n > (16u << 20)) return 0; // API answers are small
    t->response->body.append(data, size * n);
    return size * n;
}

size_t onBodyToFile(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (t->response->status >= 300) { // an error page: keep it as the body, not in the file
        if (t->response->body.size() < 4096) t->response->body.append(data, size * n);
        return size * n;
    }
    if (!t->bodyStarted) {
        t->bodyStarted = true;
        // 200 to a Range request: the server sends the whole file, so the partial one goes.
        if (t->response->status == 200 && t->fileSize > 0) {
            t->restartFromZero = true;
            std::fclose(t->file);
            t->file = std::fopen(t->path.c_str(), "wb");
            t->fileSize = 0;
            if (!t->file) return 0;
        }
    }
    const size_t written = std::fwrite(data, 1, size * n, t->file);
    t->fileSize += written;
    return written;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->onBytes && *t->onBytes && !(*t->onBytes)(t->fileSize)) {
        t->cancelled = true;
        return 1;
    }
    return 0;
}

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

CurlPtr makeHandle(const std::string& url, Transfer& t, curl_slist*& headers,
                   const std::string& token) {
    initCurlOnce();
    CurlPtr h(curl_easy_init(), &curl_easy_cleanup);
    if (!h) throw HubError("cannot start an HTTP request (curl_easy_init failed)");
    curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(h.get(), CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(h.get(), CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h.get(), CURLOPT_USERAGENT, "moodsteer-studio (huggingface_hub cache layout)");
    curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT, 20L);
    // A stalled server (no byte for a minute) is an error rather than a hang.
    curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (!token.empty())
        headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
    return h;
}

std::string hostOf(const std::string& url) {
    const auto s = url.find("://");
    const auto start = s == std::string::npos ? 0 : s + 3;
    return url.substr(start, url.find('/', start) - start);
}

void perform(CURL* h, const std::string& url, Transfer& t) {
    char err[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    const CURLcode rc = curl_easy_perform(h);
    if (t.cancelled || rc == CURLE_OK) return;
    const std::string why = err[0] ? err : curl_easy_strerror(rc);
    throw HubError("connection to " + hostOf(url) + " failed: " + why);
}

/// Frees a request's header list however the request ends (the list may grow after this).
struct HeaderList {
    curl_slist*& list;
    ~HeaderList() { curl_slist_free_all(list); }
};

} // namespace

HttpRequest::HttpRequest(std::string url, std::string token)
    : url_(std::move(url)), token_(std::move(token)) {}

HttpResponse HttpRequest::head() {
    HttpResponse r;
    Transfer t;
    t.response = &r;
    curl_slist* headers = nullptr;
    const HeaderList freeHeaders{headers};
    auto h = makeHandle(url_, t, headers, token_);
    curl_easy_setopt(h.get(), CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers);
    perform(h.get(), url_, t);
    return r;
}

HttpResponse HttpRequest::get() {
    HttpResponse r;
    Transfer t;
    t.response = &r;
    curl_slist* headers = nullptr;
    const HeaderList freeHeaders{headers};
    auto h = makeHandle(url_, t, headers, token_);
    curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h.get(), CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, onBodyToString);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers);
    perform(h.get(), url_, t);
    return r;
}

HttpResponse HttpRequest::download(const std::string& path, std::uint64_t offset,
                                   const std::function<bool(std::uint64_t)>& onBytes) {
    HttpResponse r;
    Transfer t;
    t.response = &r;
    t.path = path;
    t.fileSize = offset;
    t.onBytes = &onBytes;
    t.file = std::fopen(path.c_str(), offset > 0 ? "ab" : "wb");
    if (!t.file) throw HubError("cannot write '" + path + "'");
    curl_slist* headers = nullptr;
    const HeaderList freeHeaders{headers};
    auto h = makeHandle(url_, t, headers, token_);
    if (offset > 0)
        headers =
            curl_slist_append(headers, ("Range: bytes=" + std::to_string(offset) + "-").c_str());
    curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h.get(), CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, onBodyToFile);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h.get(), CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(h.get(), CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers);
    auto closeAll = [&] {
        if (t.file && std::fclose(t.file) != 0 && !t.cancelled)
            throw HubError("cannot write '" + path + "' (disk full?)");
        t.file = nullptr;
    };
    try {
        perform(h.get(), url_, t);
    } catch (...) {
        if (t.file) std::fclose(t.file);
        throw;
    }
    closeAll();
    cancelled_ = t.cancelled;
    return r;
}

} // namespace moodsteer::hub
