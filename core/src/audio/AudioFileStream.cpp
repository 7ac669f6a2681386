#include "core/audio/AudioFileStream.h"

#include "core/io/AtomicWrite.h"

#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

namespace moodsteer {
namespace {

int formatOf(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".wav") return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    if (ext == ".flac") return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    if (ext == ".ogg") return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    return 0;
}

} // namespace

AudioFileStream::AudioFileStream(const std::string& path, int sampleRate, const AudioTags& tags)
    : path_(path), sampleRate_(sampleRate) {
    const int format = formatOf(path);
    if (!format)
        throw AudioFileError("cannot write '" + path +
                             "': unsupported extension (use .wav, .flac or .ogg)");
    if (sampleRate <= 0) throw AudioFileError("cannot write '" + path + "': invalid sample rate");
    try {
        tmp_ = makeTemporaryPath(path);
    } catch (const std::exception& e) {
        throw AudioFileError("cannot write '" + path + "': " + e.what());
    }
    SF_INFO info{};
    info.samplerate = sampleRate;
    info.channels = 1;
    info.format = format;
    SNDFILE* f = sf_open(tmp_.c_str(), SFM_WRITE, &info);
    if (!f) {
        std::error_code ec;
        std::filesystem::remove(tmp_, ec);
        throw AudioFileError("cannot write '" + path + "': libsndfile: " + sf_strerror(nullptr));
    }
    sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE); // clip rather than wrap
    if (!tags.title.empty()) sf_set_string(f, SF_STR_TITLE, tags.title.c_str());
    if (!tags.comment.empty()) sf_set_string(f, SF_STR_COMMENT, tags.comment.c_str());
    sf_set_string(f, SF_STR_SOFTWARE,
                  tags.software.empty() ? "MoodSteer Studio" : tags.software.c_str());
    file_ = f;
}

AudioFileStream::~AudioFileStream() {
    if (file_) sf_close(static_cast<SNDFILE*>(file_));
    if (!tmp_.empty()) {
        std::error_code ec;
        std::filesystem::remove(tmp_, ec);
    }
}

void AudioFileStream::write(const float* samples, std::size_t count) {
    if (!file_) throw AudioFileError("cannot write '" + path_ + "': the file is already closed");
    for (std::size_t i = 0; i < count; ++i)
        if (!std::isfinite(samples[i]))
            throw AudioFileError("cannot write '" + path_ + "': audio contains NaN/Inf samples");
    auto* f = static_cast<SNDFILE*>(file_);
    const auto n = static_cast<sf_count_t>(count);
    if (n && sf_writef_float(f, samples, n) != n)
        throw AudioFileError("cannot write '" + path_ + "': libsndfile: " + sf_strerror(f));
    frames_ += count;
}

std::string AudioFileStream::finish() {
    if (!file_) throw AudioFileError("cannot write '" + path_ + "': the file is already closed");
    auto* f = static_cast<SNDFILE*>(file_);
    file_ = nullptr;
    const std::string err = sf_strerror(f);
    if (sf_close(f) != 0) throw AudioFileError("cannot write '" + path_ + "': libsndfile: " + err);
    std::string tmp;
    std::swap(tmp, tmp_);
    return tmp;
}

} // namespace moodsteer
