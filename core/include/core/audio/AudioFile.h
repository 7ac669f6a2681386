// Reading and writing audio files through libsndfile. Reads any format libsndfile knows and
// mixes to mono; writes WAV, FLAC or OGG/Vorbis chosen by extension, atomically, with tags.
#pragma once

#include "core/audio/AudioBuffer.h"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace moodsteer {

class AudioFileError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct AudioTags {
    std::string title;
    std::string comment; ///< the clip's recipe as JSON goes here
    std::string software;
};

/// Limits of readAudioFile: sample rates outside [1 kHz, 768 kHz], more than 256 channels or
/// more than 2^27 mono samples (70 min at 32 kHz; 512 MB as float) are refused.
inline constexpr int kMinReadRate = 1000;
inline constexpr int kMaxReadRate = 768000;
inline constexpr int kMaxReadChannels = 256;
inline constexpr std::size_t kMaxReadSamples = std::size_t{1} << 27;

/// Reads `path` (any channel count, mixed down to mono). Throws AudioFileError naming the
/// file when it is missing, not a regular file (FIFO, device, folder), unreadable, empty,
/// beyond the limits above, or contains NaN/Inf samples.
AudioBuffer readAudioFile(const std::string& path);

/// true for the extensions writeAudioFile accepts: .wav, .flac, .ogg (case-insensitive).
bool isSupportedAudioExtension(const std::string& path);

/// Writes mono 16-bit WAV/FLAC or Vorbis OGG by extension; atomic (temporary file + rename),
/// so a failure leaves no partial file. Throws AudioFileError on an unsupported extension,
/// non-finite samples or any write failure. With `overwrite` false an existing file is an error.
void writeAudioFile(const std::string& path, const AudioBuffer& audio, const AudioTags& tags = {},
                    bool overwrite = true);

} // namespace moodsteer
