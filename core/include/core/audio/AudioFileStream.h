// A long recording written as it is made (a session: nothing held in memory): mono 16-bit
// WAV/FLAC or Vorbis OGG by the target's extension, into a temporary file beside the target
// (core/io/AtomicWrite.h's naming, so a crash leaves a recognisable temporary, swept later).
// finish() closes it as a valid file and returns the temporary's path for the caller to rename
// into place (e.g. inside an OutputSet with the clip's sidecar); without finish() the
// destructor removes it. Tags are written when the file is opened (FLAC and Vorbis keep them
// before the audio), so they describe the request; the recipe sidecar holds the final recipe.
//
// Threading: one thread.
#pragma once

#include "core/audio/AudioFile.h"

#include <cstddef>
#include <string>

namespace moodsteer {

class AudioFileStream {
  public:
    /// Throws AudioFileError naming `path` (extension, sample rate, folder not writable).
    AudioFileStream(const std::string& path, int sampleRate, const AudioTags& tags = {});
    ~AudioFileStream();
    AudioFileStream(const AudioFileStream&) = delete;
    AudioFileStream& operator=(const AudioFileStream&) = delete;

    /// Appends samples; throws AudioFileError for non-finite samples or a write failure.
    void write(const float* samples, std::size_t count);
    /// Closes the file (valid from here on) and returns its temporary path; the caller now
    /// owns it (renames or removes it). Throws AudioFileError when closing fails.
    std::string finish();

    double seconds() const { return double(frames_) / sampleRate_; }
    const std::string& target() const { return path_; }

  private:
    std::string path_;
    std::string tmp_;
    int sampleRate_;
    void* file_ = nullptr; ///< SNDFILE*
    std::size_t frames_ = 0;
};

} // namespace moodsteer
