#include "training/TrainingCorpus.h"

#include "core/io/CodesFile.h"
#include "io/CsvTable.h"
#include "models/Safetensors.h"
#include "training/LaraTargets.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

namespace moodsteer {
namespace fs = std::filesystem;

namespace {

std::string tokensPathFor(const fs::path& dir, const CsvTable& t, std::size_t row) {
    if (t.hasColumn("tokens")) return (dir / t.at(row, "tokens")).string();
    const auto stem = fs::path(t.at(row, "file")).stem().string();
    for (const auto& candidate :
         {dir / "tokens" / (stem + ".safetensors"), dir / (stem + ".safetensors")})
        if (fs::exists(candidate)) return candidate.string();
    throw std::runtime_error("corpus '" + dir.string() + "': no token file for '" +
                             t.at(row, "file") + "'");
}

} // namespace

TrainingCorpus TrainingCorpus::load(const std::string& dirText) {
    const fs::path dir(dirText);
    const auto table = CsvTable::read((dir / "labels.csv").string());
    TrainingCorpus c;
    std::set<std::string> genres;
    for (std::size_t r = 0; r < table.rows(); ++r) {
        TrainingPiece p;
        p.codes = readCodesFile(tokensPathFor(dir, table, r));
        p.prompt = table.at(r, "prompt");
        p.genre = table.at(r, "genre");
        p.valence = table.number(r, "valence");
        p.arousal = table.number(r, "arousal");
        genres.insert(p.genre);
        c.pieces.push_back(std::move(p));
    }
    if (c.pieces.empty()) throw std::runtime_error("corpus '" + dirText + "' has no pieces");
    c.genres.assign(genres.begin(), genres.end());
    return c;
}

void TrainingCorpus::computeLaraTargets(const std::string& dir, const AudioCodec& codec,
                                        int windowFrames) {
    this->windowFrames = windowFrames;
    const auto cache =
        (fs::path(dir) / ("lara_targets_w" + std::to_string(windowFrames) + ".safetensors"))
            .string();
    std::vector<std::vector<std::vector<float>>> raw(pieces.size());
    bool loaded = false;
    if (fs::exists(cache)) {
        auto r = models::SafetensorsReader::open(cache);
        if (r.tensors().size() == pieces.size()) {
            for (std::size_t i = 0; i < pieces.size(); ++i) {
                const auto& t = r.at("piece." + std::to_string(i));
                auto bytes = r.data(t);
                const float* f = reinterpret_cast<const float*>(bytes.data());
                raw[i].assign(t.shape[0], std::vector<float>(t.shape[1]));
                for (int64_t w = 0; w < t.shape[0]; ++w)
                    std::memcpy(raw[i][w].data(), f + w * t.shape[1], t.shape[1] * sizeof(float));
            }
            loaded = true;
        }
    }
    if (!loaded) {
        models::SafetensorsWriter w;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const int frames = pieces[i].codes.frames - pieces[i].codes.frames % windowFrames;
            AudioBuffer audio = codec.decode(pieces[i].codes.slice(0, frames));
            audio.samples.resize(static_cast<std::size_t>(frames) * codec.samplesPerFrame());
            raw[i] = laraWindowFeatures(audio, windowFrames * codec.samplesPerFrame());
            std::vector<float> flat;
            for (const auto& v : raw[i])
                flat.insert(flat.end(), v.begin(), v.end());
            w.add("piece." + std::to_string(i), models::DType::F32,
                  {static_cast<int64_t>(raw[i].size()),
                   raw[i].empty() ? 0 : static_cast<int64_t>(raw[i][0].size())},
                  flat.data(), flat.size() * sizeof(float));
        }
        w.write(cache);
    }
    // Standardise every feature over all windows of the corpus, so the MSE weighs them alike.
    featureSize = 0;
    for (const auto& p : raw)
        if (!p.empty()) featureSize = static_cast<int>(p[0].size());
    std::vector<double> mean(featureSize, 0), var(featureSize, 0);
    std::size_t n = 0;
    for (const auto& p : raw)
        for (const auto& v : p) {
            for (int f = 0; f < featureSize; ++f)
                mean[f] += v[f];
            ++n;
        }
    for (auto& m : mean)
        m /= std::max<std::size_t>(n, 1);
    for (const auto& p : raw)
        for (const auto& v : p)
            for (int f = 0; f < featureSize; ++f)
                var[f] += (v[f] - mean[f]) * (v[f] - mean[f]);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        pieces[i].windows = raw[i];
        for (auto& v : pieces[i].windows)
            for (int f = 0; f < featureSize; ++f)
                v[f] = static_cast<float>((v[f] - mean[f]) /
                                          std::sqrt(var[f] / std::max<std::size_t>(n, 1) + 1e-8));
    }
}

} // namespace moodsteer
