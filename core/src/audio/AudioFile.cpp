#include "core/audio/AudioFile.h"

#include "models/AtomicFile.h"
#include "models/BoundedRead.h"

#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>

namespace moodsteer {
namespace {

std::string lowerExtension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

int formatFor(const std::string& path) {
    const std::string ext = lowerExtension(path);
    if (ext == ".wav") return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    if (ext == ".flac") return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    if (ext == ".ogg") return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    return 0;
}

} // namespace

bool isSupportedAudioExtension(const std::string& path) {
    return formatFor(path) != 0;
}

AudioBuffer readAudioFile(const std::string& path) {
    // The descriptor is checked before libsndfile reads a byte: a FIFO or device is refused
    // at once instead of blocking in open() or reading /dev/zero for ever.
    int fd = -1;
    try {
        fd = models::openRegularFile(path, models::FileKind{"audio file", ~std::uint64_t{0}});
    } catch (const models::FileReadError& e) {
        throw AudioFileError(e.what());
    }
    SF_INFO info{};
    SNDFILE* f = sf_open_fd(fd, SFM_READ, &info, SF_TRUE); // closes fd, also on failure
    if (!f) throw AudioFileError("cannot read audio file '" + path + "': " + sf_strerror(nullptr));
    struct Closer {
        SNDFILE* f;
        ~Closer() { sf_close(f); }
    } closer{f};
    if (info.channels <= 0 || info.samplerate <= 0)
        throw AudioFileError("audio file '" + path + "' has no channels or no sample rate");
    if (info.samplerate < kMinReadRate || info.samplerate > kMaxReadRate)
        throw AudioFileError("audio file '" + path + "' has a sample rate of " +
                             std::to_string(info.samplerate) + " Hz, outside " +
                             std::to_string(kMinReadRate) + ".." + std::to_string(kMaxReadRate) +
                             " Hz");
    if (info.channels > kMaxReadChannels)
        throw AudioFileError("audio file '" + path + "' declares " + std::to_string(info.channels) +
                             " channels, more than " + std::to_string(kMaxReadChannels));
    // Read in blocks and mix as we go: the declared frame count is only a header field (it
    // may be huge, 0 or unknown), so it never sizes an allocation.
    AudioBuffer out;
    out.sampleRate = info.samplerate;
    constexpr sf_count_t kBlockFrames = 4096;
    std::vector<float> block(static_cast<std::size_t>(kBlockFrames) * info.channels);
    std::size_t bad = 0;
    for (;;) {
        const sf_count_t got = sf_readf_float(f, block.data(), kBlockFrames);
        if (got <= 0) break;
        if (out.samples.size() + static_cast<std::size_t>(got) > kMaxReadSamples)
            throw AudioFileError("audio file '" + path + "' is longer than " +
                                 std::to_string(kMaxReadSamples / info.samplerate / 60) +
                                 " minutes at its rate (" + std::to_string(kMaxReadSamples) +
                                 " samples), the most the studio reads");
        for (sf_count_t i = 0; i < got; ++i) {
            double sum = 0;
            for (int c = 0; c < info.channels; ++c)
                sum += block[static_cast<std::size_t>(i) * info.channels + c];
            const float v = static_cast<float>(sum / info.channels);
            if (!std::isfinite(v)) ++bad;
            out.samples.push_back(v);
        }
    }
    if (out.samples.empty()) throw AudioFileError("audio file '" + path + "' contains no samples");
    if (bad)
        throw AudioFileError("audio file '" + path + "' contains " + std::to_string(bad) +
                             " NaN/Inf samples");
    return out;
}

void writeAudioFile(const std::string& path, const AudioBuffer& audio, const AudioTags& tags,
                    bool overwrite) {
    const int format = formatFor(path);
    if (!format)
        throw AudioFileError("cannot write '" + path +
                             "': unsupported extension (use .wav, .flac or .ogg)");
    if (audio.sampleRate <= 0)
        throw AudioFileError("cannot write '" + path + "': invalid sample rate");
    for (float s : audio.samples)
        if (!std::isfinite(s))
            throw AudioFileError("cannot write '" + path + "': audio contains NaN/Inf samples");
    try {
        models::writeFileAtomically(
            path,
            [&](const std::string& tmp) {
                SF_INFO info{};
                info.samplerate = audio.sampleRate;
                info.channels = 1;
                info.format = format;
                SNDFILE* f = sf_open(tmp.c_str(), SFM_WRITE, &info);
                if (!f) throw AudioFileError(std::string("libsndfile: ") + sf_strerror(nullptr));
                // Clip rather than wrap: integer formats overflow on |x| > 1.
                sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
                if (!tags.title.empty()) sf_set_string(f, SF_STR_TITLE, tags.title.c_str());
                if (!tags.comment.empty()) sf_set_string(f, SF_STR_COMMENT, tags.comment.c_str());
                sf_set_string(f, SF_STR_SOFTWARE,
                              tags.software.empty() ? "MoodSteer Studio" : tags.software.c_str());
                const auto n = static_cast<sf_count_t>(audio.samples.size());
                const sf_count_t written = n ? sf_writef_float(f, audio.samples.data(), n) : 0;
                const std::string err = sf_strerror(f);
                const int closeRc = sf_close(f);
                if (written != n || closeRc != 0) throw AudioFileError("libsndfile: " + err);
            },
            overwrite);
    } catch (const AudioFileError& e) {
        throw AudioFileError("cannot write '" + path + "': " + e.what());
    } catch (const std::runtime_error& e) {
        throw AudioFileError(e.what());
    }
}

} // namespace moodsteer
