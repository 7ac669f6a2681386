#include "core/probing/ActivationSet.h"

#include "probing/ActivationFormat.h"
#include "probing/StreamedSafetensors.h"

#include "models/Safetensors.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

namespace moodsteer {

void ActivationSettings::validate() const {
    const auto fail = [](const std::string& what) {
        throw ActivationSetError("activation settings: " + what);
    };
    if (pooling != "mean" && pooling != "last")
        fail("pooling '" + pooling + "' (expected mean or last)");
    if (numLayers < 1) fail("num_layers = " + std::to_string(numLayers));
    if (hiddenSize < 1) fail("hidden_size = " + std::to_string(hiddenSize));
    if (labelNames.empty()) fail("label_names is empty");
}

void ActivationSet::validate() const {
    settings.validate();
    const auto fail = [](const std::string& what) {
        throw ActivationSetError("activation set: " + what);
    };
    const std::int64_t n = size();
    if (static_cast<int>(layers.size()) != settings.numLayers)
        fail(std::to_string(layers.size()) +
             " layer matrices for num_layers = " + std::to_string(settings.numLayers));
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].rows != n || layers[i].cols != settings.hiddenSize ||
            static_cast<std::int64_t>(layers[i].data.size()) != n * settings.hiddenSize)
            fail("layer." + std::to_string(i) + " is " + std::to_string(layers[i].rows) + " x " +
                 std::to_string(layers[i].cols) + ", expected " + std::to_string(n) + " x " +
                 std::to_string(settings.hiddenSize));
    for (auto l : labels)
        if (l < 0 || l >= static_cast<std::int64_t>(settings.labelNames.size()))
            fail("label " + std::to_string(l) + " outside the " +
                 std::to_string(settings.labelNames.size()) + " label names");
    if (!valence.empty() && static_cast<std::int64_t>(valence.size()) != n)
        fail("valence has " + std::to_string(valence.size()) + " values for " + std::to_string(n) +
             " clips");
    if (!arousal.empty() && static_cast<std::int64_t>(arousal.size()) != n)
        fail("arousal has " + std::to_string(arousal.size()) + " values for " + std::to_string(n) +
             " clips");
    if (!clipIds.empty() && static_cast<std::int64_t>(clipIds.size()) != n)
        fail("clip_ids has " + std::to_string(clipIds.size()) + " entries for " +
             std::to_string(n) + " clips");
}

void ActivationSet::save(const std::string& path) const {
    validate();
    std::vector<probing::StreamedTensor> tensors;
    const std::int64_t n = size();
    for (int i = 0; i < settings.numLayers; ++i) {
        const FeatureMatrix* m = &layers[i];
        tensors.push_back({"layer." + std::to_string(i),
                           models::DType::F32,
                           {n, settings.hiddenSize},
                           [m](std::ostream& out) {
                               out.write(reinterpret_cast<const char*>(m->data.data()),
                                         static_cast<std::streamsize>(m->data.size() * 4));
                           }});
    }
    tensors.push_back({"labels", models::DType::I64, {n}, [this](std::ostream& out) {
                           out.write(reinterpret_cast<const char*>(labels.data()),
                                     static_cast<std::streamsize>(labels.size() * 8));
                       }});
    for (const auto* v : {&valence, &arousal})
        if (!v->empty())
            tensors.push_back({v == &valence ? "valence" : "arousal",
                               models::DType::F32,
                               {n},
                               [v](std::ostream& out) {
                                   out.write(reinterpret_cast<const char*>(v->data()),
                                             static_cast<std::streamsize>(v->size() * 4));
                               }});
    probing::writeSafetensorsStreamed(path, probing::activationMetadata(settings, n, clipIds),
                                      tensors);
}

namespace {

const models::TensorInfo& tensorChecked(const models::SafetensorsReader& r, const std::string& path,
                                        const std::string& name, models::DType dtype,
                                        std::vector<std::int64_t> shape) {
    const models::TensorInfo* t = r.find(name);
    if (!t)
        throw ActivationSetError("activation set '" + path + "': tensor '" + name + "' is missing");
    if (t->dtype != dtype || t->shape != shape) {
        std::string want = "[", got = "[";
        for (auto d : shape)
            want += std::to_string(d) + ",";
        for (auto d : t->shape)
            got += std::to_string(d) + ",";
        throw ActivationSetError("activation set '" + path + "': tensor '" + name + "' is " +
                                 models::dtypeName(t->dtype) + " " + got + "], expected " +
                                 models::dtypeName(dtype) + " " + want + "]");
    }
    return *t;
}

models::SafetensorsReader openChecked(const std::string& path) {
    try {
        return models::SafetensorsReader::open(path);
    } catch (const std::exception& e) {
        throw ActivationSetError(e.what());
    }
}

template <class T>
std::vector<T> readVector(const models::SafetensorsReader& r, const models::TensorInfo& t) {
    std::vector<T> v(static_cast<std::size_t>(t.numel()));
    if (!v.empty()) std::memcpy(v.data(), r.data(t).data(), t.nbytes);
    return v;
}

ActivationSet readHeader(const models::SafetensorsReader& r, const std::string& path) {
    ActivationSet s;
    std::int64_t n = 0;
    probing::parseActivationMetadata(r.metadata(), path, s.settings, n, s.clipIds);
    s.labels =
        readVector<std::int64_t>(r, tensorChecked(r, path, "labels", models::DType::I64, {n}));
    for (auto* name : {"valence", "arousal"})
        if (r.find(name)) {
            auto v = readVector<float>(r, tensorChecked(r, path, name, models::DType::F32, {n}));
            (std::string(name) == "valence" ? s.valence : s.arousal) = std::move(v);
        }
    for (auto l : s.labels)
        if (l < 0 || l >= static_cast<std::int64_t>(s.settings.labelNames.size()))
            throw ActivationSetError("activation set '" + path + "': label " + std::to_string(l) +
                                     " outside the label names");
    return s;
}

} // namespace

ActivationSet ActivationSet::loadHeader(const std::string& path) {
    return readHeader(openChecked(path), path);
}

FeatureMatrix ActivationSet::loadLayer(const std::string& path, int layer) {
    const auto r = openChecked(path);
    ActivationSettings settings;
    std::int64_t n = 0;
    std::vector<std::string> ids;
    probing::parseActivationMetadata(r.metadata(), path, settings, n, ids);
    if (layer < 0 || layer >= settings.numLayers)
        throw ActivationSetError("activation set '" + path + "': layer " + std::to_string(layer) +
                                 " outside 0.." + std::to_string(settings.numLayers - 1));
    const auto& t = tensorChecked(r, path, "layer." + std::to_string(layer), models::DType::F32,
                                  {n, settings.hiddenSize});
    FeatureMatrix m(n, settings.hiddenSize);
    if (t.nbytes) std::memcpy(m.data.data(), r.data(t).data(), t.nbytes);
    return m;
}

ActivationSet ActivationSet::load(const std::string& path) {
    const auto r = openChecked(path);
    ActivationSet s = readHeader(r, path);
    const std::int64_t n = s.size();
    for (int i = 0; i < s.settings.numLayers; ++i) {
        const auto& t = tensorChecked(r, path, "layer." + std::to_string(i), models::DType::F32,
                                      {n, s.settings.hiddenSize});
        FeatureMatrix m(n, s.settings.hiddenSize);
        if (t.nbytes) std::memcpy(m.data.data(), r.data(t).data(), t.nbytes);
        for (float v : m.data)
            if (!std::isfinite(v))
                throw ActivationSetError("activation set '" + path + "': tensor 'layer." +
                                         std::to_string(i) + "' has non-finite values");
        s.layers.push_back(std::move(m));
    }
    if (r.find("layer." + std::to_string(s.settings.numLayers)))
        throw ActivationSetError("activation set '" + path + "': more layer tensors than " +
                                 "num_layers = " + std::to_string(s.settings.numLayers));
    return s;
}

} // namespace moodsteer
