#include "core/probing/ActivationSetWriter.h"

#include "probing/ActivationFormat.h"
#include "probing/StreamedSafetensors.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "models/AtomicFile.h"

namespace moodsteer {

namespace fs = std::filesystem;

ActivationSetWriter::ActivationSetWriter(std::string path, ActivationSettings settings)
    : path_(std::move(path)), settings_(std::move(settings)) {
    settings_.validate();
    // A folder of our own with a unique name: never a user's "<path>.spool"; one left by a
    // killed run is swept by the next write into this folder (models/AtomicFile.h).
    try {
        spoolDir_ = models::makeTemporaryPath(path_ + ".spool", /*folder=*/true);
    } catch (const std::exception& e) {
        throw ActivationSetError("activation set '" + path_ +
                                 "': cannot create its spool folder: " + e.what());
    }
    for (int i = 0; i < settings_.numLayers; ++i) {
        const std::string file = spoolDir_ + "/layer." + std::to_string(i) + ".f32";
        std::FILE* f = std::fopen(file.c_str(), "w+b");
        if (!f) {
            const std::string why = std::strerror(errno);
            closeSpool();
            throw ActivationSetError("activation set '" + path_ + "': cannot create spool file '" +
                                     file + "': " + why);
        }
        spools_.push_back(f);
    }
}

ActivationSetWriter::~ActivationSetWriter() {
    closeSpool();
}

void ActivationSetWriter::closeSpool() noexcept {
    for (auto* f : spools_)
        std::fclose(f);
    spools_.clear();
    std::error_code ec;
    fs::remove_all(spoolDir_, ec);
}

void ActivationSetWriter::append(std::span<const float> layerRows, std::int64_t label,
                                 std::optional<float> valence, std::optional<float> arousal,
                                 const std::string& clipId) {
    const auto fail = [&](const std::string& what) {
        throw ActivationSetError("activation set '" + path_ + "', clip " +
                                 std::to_string(labels_.size()) + ": " + what);
    };
    if (finished_ || spools_.empty()) fail("the writer is finished");
    const std::size_t d = static_cast<std::size_t>(settings_.hiddenSize);
    if (layerRows.size() != d * static_cast<std::size_t>(settings_.numLayers))
        fail(std::to_string(layerRows.size()) + " values, expected num_layers x hidden_size = " +
             std::to_string(d * settings_.numLayers));
    if (label < 0 || label >= static_cast<std::int64_t>(settings_.labelNames.size()))
        fail("label " + std::to_string(label) + " outside the " +
             std::to_string(settings_.labelNames.size()) + " label names");
    const bool emotion = valence.has_value() && arousal.has_value();
    if (valence.has_value() != arousal.has_value() ||
        (!labels_.empty() && emotion != !valence_.empty()))
        fail("valence and arousal must be given for every clip or for none");
    if (!labels_.empty() && clipIds_.empty() != clipId.empty())
        fail("clip ids must be given for every clip or for none");
    for (int i = 0; i < settings_.numLayers; ++i)
        if (std::fwrite(layerRows.data() + i * d, sizeof(float), d, spools_[i]) != d)
            fail("writing the spool failed: " + std::string(std::strerror(errno)));
    labels_.push_back(label);
    if (emotion) {
        valence_.push_back(*valence);
        arousal_.push_back(*arousal);
    }
    if (!clipId.empty()) clipIds_.push_back(clipId);
}

void ActivationSetWriter::finish() {
    if (finished_)
        throw ActivationSetError("activation set '" + path_ + "': finish() called twice");
    if (labels_.empty())
        throw ActivationSetError("activation set '" + path_ + "': no clips were appended");
    const std::int64_t n = size();
    const std::int64_t d = settings_.hiddenSize;
    std::vector<probing::StreamedTensor> tensors;
    for (int i = 0; i < settings_.numLayers; ++i) {
        std::FILE* f = spools_[i];
        tensors.push_back({"layer." + std::to_string(i),
                           models::DType::F32,
                           {n, d},
                           [this, f, i](std::ostream& out) {
                               if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0)
                                   throw ActivationSetError("activation set '" + path_ +
                                                            "': spool of layer " +
                                                            std::to_string(i) + " unreadable");
                               std::vector<char> block(1 << 20);
                               std::size_t got;
                               while ((got = std::fread(block.data(), 1, block.size(), f)) > 0)
                                   out.write(block.data(), static_cast<std::streamsize>(got));
                               if (std::ferror(f))
                                   throw ActivationSetError("activation set '" + path_ +
                                                            "': reading the spool of layer " +
                                                            std::to_string(i) + " failed");
                           }});
    }
    tensors.push_back({"labels", models::DType::I64, {n}, [this](std::ostream& out) {
                           out.write(reinterpret_cast<const char*>(labels_.data()),
                                     static_cast<std::streamsize>(labels_.size() * 8));
                       }});
    if (!valence_.empty()) {
        tensors.push_back({"valence", models::DType::F32, {n}, [this](std::ostream& out) {
                               out.write(reinterpret_cast<const char*>(valence_.data()),
                                         static_cast<std::streamsize>(valence_.size() * 4));
                           }});
        tensors.push_back({"arousal", models::DType::F32, {n}, [this](std::ostream& out) {
                               out.write(reinterpret_cast<const char*>(arousal_.data()),
                                         static_cast<std::streamsize>(arousal_.size() * 4));
                           }});
    }
    probing::writeSafetensorsStreamed(path_, probing::activationMetadata(settings_, n, clipIds_),
                                      tensors);
    finished_ = true;
    closeSpool();
}

} // namespace moodsteer
