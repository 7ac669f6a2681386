// AlignmentModel: the torch-free face of models::AlignNet plus its vocabulary and metadata.
#include "core/alignment/AlignmentModel.h"

#include "AlignmentModelImpl.h"
#include "core/alignment/AlignmentFeatures.h"
#include "core/io/Resources.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace moodsteer {

std::string alignmentGenreWord(const std::string& label) {
    std::string s;
    for (unsigned char c : label)
        s += static_cast<char>(std::tolower(c));
    if (s == "hiphop" || s == "hip-hop") return "hip hop";
    if (s == "vg") return "video game";
    if (s == "film") return "film score";
    return s;
}

AlignmentModel::AlignmentModel() : impl_(std::make_unique<Impl>()) {}
AlignmentModel::AlignmentModel(AlignmentModel&&) noexcept = default;
AlignmentModel& AlignmentModel::operator=(AlignmentModel&&) noexcept = default;
AlignmentModel::~AlignmentModel() = default;

std::string AlignmentModel::defaultPath() {
    return resourcePath("alignment/alignment.safetensors");
}

std::string AlignmentModel::genrePrompt(const std::string& genre) {
    return alignmentGenreWord(genre) + " music";
}

AlignmentModel AlignmentModel::load(const std::string& path) {
    AlignmentModel m;
    m.path_ = path;
    try {
        m.impl_->net = models::loadAlignmentNet(path, &m.metadata_);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("alignment model: ") + e.what());
    }
    const auto fail = [&](const std::string& why) {
        throw std::runtime_error("alignment model '" + path + "': " + why);
    };
    const auto format = m.metadata_.find("format");
    if (format == m.metadata_.end() || format->second != kAlignmentFormat)
        fail("not an alignment model (metadata 'format' is not " + std::string(kAlignmentFormat) +
             ")");
    const auto sig = m.metadata_.find("features");
    if (sig == m.metadata_.end() || sig->second != alignmentFeatureSignature())
        fail("trained on other audio features than this build computes (retrain it)");
    if (m.impl_->net->config().audioFeatures != alignmentFeatureSize())
        fail("expects " + std::to_string(m.impl_->net->config().audioFeatures) +
             " audio features, this build computes " + std::to_string(alignmentFeatureSize()));
    std::vector<std::string> words;
    try {
        words = nlohmann::json::parse(m.metadata_.at("vocabulary")).get<std::vector<std::string>>();
    } catch (const std::exception&) {
        fail("metadata 'vocabulary' is missing or not a list of words");
    }
    if (words.size() < 2 || words[0] != "<pad>" || words[1] != "<unk>")
        fail("metadata 'vocabulary' does not start with <pad>, <unk>");
    m.impl_->vocabulary = AlignmentVocabulary({words.begin() + 2, words.end()});
    if (m.impl_->vocabulary.size() != m.impl_->net->config().vocabSize)
        fail("vocabulary of " + std::to_string(m.impl_->vocabulary.size()) +
             " words for an embedding of " + std::to_string(m.impl_->net->config().vocabSize));
    m.vocabulary_ = m.impl_->vocabulary.entries();
    return m;
}

std::vector<float> AlignmentModel::embedText(const std::string& text) const {
    torch::NoGradGuard g;
    const auto ids = impl_->vocabulary.ids(text);
    const auto t = torch::tensor(ids, torch::kLong).unsqueeze(0);
    const auto e = impl_->net->encodeText(t).squeeze(0).contiguous();
    return {e.data_ptr<float>(), e.data_ptr<float>() + e.numel()};
}

std::vector<float>
AlignmentModel::embedWindows(const std::vector<std::vector<float>>& windows) const {
    if (windows.empty()) throw std::invalid_argument("alignment: no audio windows to embed");
    const auto d = static_cast<std::size_t>(impl_->net->config().audioFeatures);
    std::vector<float> flat;
    for (const auto& w : windows) {
        if (w.size() != d)
            throw std::invalid_argument("alignment: a window has " + std::to_string(w.size()) +
                                        " features, the model expects " + std::to_string(d));
        flat.insert(flat.end(), w.begin(), w.end());
    }
    torch::NoGradGuard g;
    const auto x = torch::from_blob(flat.data(),
                                    {static_cast<int64_t>(windows.size()), static_cast<int64_t>(d)},
                                    torch::kFloat32);
    auto e = impl_->net->encodeAudio(x).mean(0);
    e = (e / e.norm().clamp_min(1e-12)).contiguous();
    return {e.data_ptr<float>(), e.data_ptr<float>() + e.numel()};
}

std::vector<float> AlignmentModel::embedAudio(const AudioBuffer& audio) const {
    return embedWindows(alignmentWindowFeatures(audio));
}

double AlignmentModel::cosine(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty())
        throw std::invalid_argument("alignment: embeddings of different sizes");
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ab += static_cast<double>(a[i]) * b[i];
        aa += static_cast<double>(a[i]) * a[i];
        bb += static_cast<double>(b[i]) * b[i];
    }
    return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

double AlignmentModel::score(const AudioBuffer& audio, const std::string& prompt) const {
    return cosine(embedAudio(audio), embedText(prompt));
}

std::vector<double> AlignmentModel::genreScores(const std::vector<float>& audioEmbedding,
                                                const std::vector<std::string>& genres) const {
    std::vector<double> out;
    for (const auto& g : genres)
        out.push_back(cosine(audioEmbedding, embedText(genrePrompt(g))));
    return out;
}

int AlignmentModel::zeroShotGenre(const std::vector<float>& audioEmbedding,
                                  const std::vector<std::string>& genres) const {
    if (genres.empty()) throw std::invalid_argument("alignment: no candidate genres");
    const auto s = genreScores(audioEmbedding, genres);
    return static_cast<int>(std::max_element(s.begin(), s.end()) - s.begin());
}

} // namespace moodsteer
