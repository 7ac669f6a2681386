#include "core/corpus/CorpusWriter.h"

#include "Rng.h"
#include "core/audio/AudioFile.h"
#include "core/synth/MidiWriter.h"
#include "core/synth/SynthCodec.h"
#include "models/AtomicFile.h"
#include "models/Safetensors.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace moodsteer {

namespace fs = std::filesystem;

namespace {

std::string csvQuote(const std::string& s) {
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string number(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

} // namespace

CorpusWriter::CorpusWriter(CorpusOptions options, const Composer& composer)
    : options_(std::move(options)), composer_(composer) {
    if (options_.outDir.empty()) throw std::invalid_argument("corpus: the output folder is empty");
    if (options_.count <= 0)
        throw std::invalid_argument("corpus: count must be positive, got " +
                                    std::to_string(options_.count));
    if (!(options_.seconds > 0.0 && options_.seconds <= 600.0))
        throw std::invalid_argument("corpus: seconds must be in (0, 600]");
    for (const auto& g : options_.genres)
        Composer::genreIndex(g); // throws for an unknown genre
    const bool fixed = options_.fixedValence != 0.0 || options_.fixedArousal != 0.0;
    if (fixed && !(options_.fixedValence >= 1.0 && options_.fixedValence <= 9.0 &&
                   options_.fixedArousal >= 1.0 && options_.fixedArousal <= 9.0))
        throw std::invalid_argument("corpus: a fixed valence and arousal must both be in [1, 9]");
}

std::vector<ComposerRequest> CorpusWriter::plan(const CorpusOptions& options) {
    const std::vector<std::string> genres =
        options.genres.empty() ? Composer::genres() : options.genres;
    // A fixed scramble of the 16 cells of a 4 x 4 valence-arousal grid, so every run of 16
    // pieces of a genre covers the plane once, in an order that mixes the quadrants.
    static const int kCells[16] = {5, 14, 3, 8, 0, 11, 6, 13, 10, 1, 15, 4, 9, 2, 12, 7};
    const int g = static_cast<int>(genres.size());
    std::vector<ComposerRequest> out;
    out.reserve(static_cast<std::size_t>(std::max(options.count, 0)));
    for (int i = 0; i < options.count; ++i) {
        corpus::Rng rng(options.seed * 0xD1B54A32D192ED03ull + static_cast<std::uint64_t>(i));
        const int gi = i % g, j = i / g;
        const int cell = kCells[(j + 5 * gi) % 16];
        ComposerRequest r;
        r.genre = genres[static_cast<std::size_t>(gi)];
        r.valence = 1.0 + 2.0 * ((cell % 4) + rng.uniform());
        r.arousal = 1.0 + 2.0 * ((cell / 4) + rng.uniform());
        r.valence = std::round(r.valence * 100.0) / 100.0;
        r.arousal = std::round(r.arousal * 100.0) / 100.0;
        if (options.fixedValence != 0.0 || options.fixedArousal != 0.0) {
            r.valence = options.fixedValence;
            r.arousal = options.fixedArousal;
        }
        r.seconds = options.seconds;
        r.seed = options.seed * 100000ull + static_cast<std::uint64_t>(i);
        out.push_back(r);
    }
    return out;
}

CorpusSummary CorpusWriter::run(const Progress& progress) const {
    const fs::path dir(options_.outDir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw std::runtime_error("cannot create the corpus output folder " + dir.string() +
                                 (ec ? ": " + ec.message() : ""));
    if (::access(dir.c_str(), W_OK) != 0)
        throw std::runtime_error("the corpus output folder " + dir.string() + " is not writable");

    const auto requests = plan(options_);
    const SynthCodec codec;
    const auto t0 = std::chrono::steady_clock::now();
    CorpusSummary summary;
    std::ostringstream csv;
    csv << "file,genre,valence,arousal,tempo,key,mode,seed,prompt\n";
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const Piece piece = composer_.compose(requests[i]);
        CorpusItem item;
        char stem[32];
        std::snprintf(stem, sizeof stem, "piece_%05zu", i);
        item.stem = stem;
        item.label = piece.label;
        item.prompt = piece.prompt;

        models::SafetensorsWriter st;
        st.add("codes", models::DType::I64, {piece.codes.numCodebooks, piece.codes.frames},
               piece.codes.data.data(), piece.codes.data.size() * sizeof(std::int64_t));
        st.setMetadata("codec", codec.name());
        st.setMetadata("frame_rate", number(codec.frameRate(), 0));
        st.setMetadata("genre", piece.label.genre);
        st.setMetadata("valence", number(piece.label.valence, 2));
        st.setMetadata("arousal", number(piece.label.arousal, 2));
        st.setMetadata("prompt", piece.prompt);
        st.setMetadata("seed", std::to_string(piece.label.seed));
        st.write((dir / (item.stem + ".safetensors")).string());
        MidiWriter::write((dir / (item.stem + ".mid")).string(), piece.codes);
        item.file = item.stem + ".safetensors";
        if (!options_.tokensOnly) {
            const AudioBuffer audio = codec.decode(piece.codes);
            AudioTags tags;
            tags.title = item.stem;
            tags.comment = piece.prompt;
            tags.software = "MoodSteer corpus (SynthCodec)";
            item.file = item.stem + ".wav";
            writeAudioFile((dir / item.file).string(), audio, tags);
        }
        summary.audioSeconds += piece.codes.frames / codec.frameRate();
        csv << item.file << ',' << piece.label.genre << ',' << number(piece.label.valence, 2) << ','
            << number(piece.label.arousal, 2) << ',' << number(piece.label.tempoBpm, 2) << ','
            << piece.label.key << ',' << piece.label.mode << ',' << piece.label.seed << ','
            << csvQuote(piece.prompt) << '\n';
        summary.items.push_back(item);
        if (progress) progress(static_cast<int>(i) + 1, static_cast<int>(requests.size()), item);
    }
    summary.labelsPath = (dir / "labels.csv").string();
    models::writeTextAtomically(summary.labelsPath, csv.str());
    summary.pieces = static_cast<int>(requests.size());
    summary.elapsedSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    summary.piecesPerSecond =
        summary.elapsedSeconds > 0 ? summary.pieces / summary.elapsedSeconds : 0.0;
    return summary;
}

} // namespace moodsteer
