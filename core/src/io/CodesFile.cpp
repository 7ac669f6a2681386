#include "core/io/CodesFile.h"

#include "models/Safetensors.h"

#include <cstring>

namespace moodsteer {

void writeCodesFile(const std::string& path, const CodeGrid& codes,
                    const std::map<std::string, std::string>& metadata) {
    models::SafetensorsWriter w;
    w.add("codes", models::DType::I64, {codes.numCodebooks, codes.frames}, codes.data.data(),
          codes.data.size() * sizeof(std::int64_t));
    for (const auto& [k, v] : metadata)
        w.setMetadata(k, v);
    w.write(path);
}

CodeGrid readCodesFile(const std::string& path) {
    try {
        auto r = models::SafetensorsReader::open(path);
        const auto& t = r.at("codes");
        if (t.dtype != models::DType::I64 || t.shape.size() != 2)
            throw CodecError("tensor 'codes' must be int64 [K, frames]");
        CodeGrid g(static_cast<int>(t.shape[0]), static_cast<int>(t.shape[1]));
        auto bytes = r.data(t);
        if (!bytes.empty()) std::memcpy(g.data.data(), bytes.data(), bytes.size());
        return g;
    } catch (const std::exception& e) {
        throw CodecError("codes file '" + path + "': " + e.what());
    }
}

} // namespace moodsteer
