// The alignment model's data: clips with their window features and the texts that describe
// them. Three sources: a corpus folder of `moodsteer-cli corpus` (each piece's own prompt plus
// a genre caption; SynthCodec renders tokens-only pieces), a labelled folder of real
// recordings (labels.csv with file and genre; MUSIFEAST's valence, arousal and vocalisation
// columns add mood and voice captions), and the genre set (file, genre). Features are cached
// per file content (EmotionFeatureCache) because the DSP encoder dominates the run time.
#pragma once

#include "core/emotion/EmotionFeatureCache.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace moodsteer {

struct AlignmentClip {
    std::string dataset;            ///< "corpus", "musifeast", "genre" (the folder's role)
    std::string file;               ///< the file name as labels.csv gives it
    std::string genre;              ///< the dataset's own label
    std::vector<std::string> texts; ///< captions to train with (texts[0] is the main one)
    std::vector<std::vector<float>> windows;
};

/// progress(stage, done, total); cancel set -> std::runtime_error("cancelled").
struct AlignmentLoadContext {
    std::string cacheDir; ///< "" with useCache: the default (~/.cache/moodsteer/alignment-features)
    bool useCache = true;
    std::function<void(const std::string&, int, int)> progress;
    const std::atomic<bool>* cancel = nullptr;
};

/// Throws std::runtime_error naming the folder or file (missing labels.csv, a bad audio or
/// token file: one line, the file named).
std::vector<AlignmentClip> loadAlignmentCorpus(const std::string& dir,
                                               const AlignmentLoadContext& context);
std::vector<AlignmentClip> loadAlignmentRecordings(const std::string& dir,
                                                   const std::string& dataset,
                                                   const AlignmentLoadContext& context);

/// The recordings held out of training: per genre (files sorted by name), every `every`-th
/// one starting with the (every / 2)-th, so that each genre keeps most of its recordings and
/// loses at least one when it has `every` or more. Returns file names.
std::vector<std::string> heldOutRecordings(const std::vector<AlignmentClip>& clips, int every);

/// Caption templates used for a genre word (training draws among them).
std::vector<std::string> genreCaptions(const std::string& genreWord);

std::string defaultAlignmentCacheDir();

} // namespace moodsteer
