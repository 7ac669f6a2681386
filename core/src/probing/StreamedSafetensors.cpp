#include "probing/StreamedSafetensors.h"

#include "models/AtomicFile.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace moodsteer::probing {

void writeSafetensorsStreamed(const std::string& path,
                              const std::map<std::string, std::string>& metadata,
                              const std::vector<StreamedTensor>& tensors) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<std::size_t> sizes;
    std::size_t offset = 0;
    for (const auto& t : tensors) {
        std::size_t numel = 1;
        for (auto d : t.shape) {
            if (d < 0)
                throw std::invalid_argument("'" + path + "': tensor '" + t.name +
                                            "' has a negative dimension");
            numel *= static_cast<std::size_t>(d);
        }
        const std::size_t nbytes = numel * models::dtypeSize(t.dtype);
        header[t.name] = {{"dtype", models::dtypeName(t.dtype)},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + nbytes}}};
        sizes.push_back(nbytes);
        offset += nbytes;
    }
    std::string text = header.dump();
    while (text.size() % 8 != 0)
        text.push_back(' ');
    models::writeFileAtomically(path, [&](const std::string& tmp) {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("cannot create '" + tmp + "'");
        const std::uint64_t len = text.size();
        char lenBytes[8];
        for (int i = 0; i < 8; ++i)
            lenBytes[i] = static_cast<char>((len >> (8 * i)) & 0xff);
        out.write(lenBytes, 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            const auto before = out.tellp();
            tensors[i].write(out);
            if (!out)
                throw std::runtime_error("'" + path + "': writing tensor '" + tensors[i].name +
                                         "' failed");
            if (static_cast<std::size_t>(out.tellp() - before) != sizes[i])
                throw std::logic_error("'" + path + "': tensor '" + tensors[i].name +
                                       "' wrote the wrong number of bytes");
        }
        out.flush();
        if (!out) throw std::runtime_error("'" + path + "': write failed (disk full?)");
    });
}

} // namespace moodsteer::probing
