#include "models/StateDict.h"

#include <torch/torch.h>

#include <cstring>
#include <sstream>

namespace moodsteer::models {
namespace {

torch::ScalarType scalarType(DType d) {
    switch (d) {
    case DType::F64:
        return torch::kFloat64;
    case DType::F32:
        return torch::kFloat32;
    case DType::F16:
        return torch::kFloat16;
    case DType::BF16:
        return torch::kBFloat16;
    case DType::I64:
        return torch::kInt64;
    case DType::I32:
        return torch::kInt32;
    case DType::I16:
        return torch::kInt16;
    case DType::I8:
        return torch::kInt8;
    case DType::U8:
        return torch::kUInt8;
    case DType::BOOL:
        return torch::kBool;
    }
    return torch::kFloat32;
}

DType fileType(torch::ScalarType s) {
    switch (s) {
    case torch::kFloat64:
        return DType::F64;
    case torch::kFloat32:
        return DType::F32;
    case torch::kFloat16:
        return DType::F16;
    case torch::kBFloat16:
        return DType::BF16;
    case torch::kInt64:
        return DType::I64;
    case torch::kInt32:
        return DType::I32;
    case torch::kInt16:
        return DType::I16;
    case torch::kInt8:
        return DType::I8;
    case torch::kUInt8:
        return DType::U8;
    case torch::kBool:
        return DType::BOOL;
    default:
        throw SafetensorsError("cannot store tensors of type " + std::string(c10::toString(s)));
    }
}

std::string shapeText(c10::IntArrayRef s) {
    std::ostringstream o;
    o << s;
    return o.str();
}

} // namespace

torch::Tensor toTensor(const SafetensorsReader& file, const TensorInfo& info) {
    auto t = torch::empty(info.shape, torch::TensorOptions().dtype(scalarType(info.dtype)));
    auto bytes = file.data(info);
    if (!bytes.empty())
        std::memcpy(t.data_ptr(), bytes.data(),
                    bytes.size()); // copy: file offsets may be unaligned
    return t;
}

torch::Tensor toTensor(const SafetensorsReader& file, const std::string& name) {
    return toTensor(file, file.at(name));
}

void addTensor(SafetensorsWriter& writer, const std::string& name, const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    writer.add(name, fileType(c.scalar_type()), c.sizes().vec(), c.data_ptr(),
               static_cast<std::size_t>(c.numel()) * c.element_size());
}

torch::Tensor foldWeightNorm(const torch::Tensor& g, const torch::Tensor& v) {
    if (g.dim() != v.dim())
        throw std::runtime_error("weight norm: g " + shapeText(g.sizes()) + " and v " +
                                 shapeText(v.sizes()) + " differ in rank");
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < g.dim(); ++d)
        if (g.size(d) == 1 && v.size(d) != 1)
            dims.push_back(d);
        else if (g.size(d) != v.size(d))
            throw std::runtime_error("weight norm: g " + shapeText(g.sizes()) +
                                     " does not broadcast against v " + shapeText(v.sizes()));
    auto vd = v.to(torch::kFloat64);
    auto norm = dims.empty() ? vd.abs() : vd.pow(2).sum(dims, /*keepdim=*/true).sqrt();
    return (g.to(torch::kFloat64) * vd / norm).to(v.scalar_type());
}

StateDictLoader::StateDictLoader(std::shared_ptr<const SafetensorsReader> file)
    : file_(std::move(file)) {}

torch::Tensor StateDictLoader::fetch(const std::string& key, const torch::Tensor& target) {
    torch::Tensor value;
    if (file_->find(key)) {
        value = toTensor(*file_, key);
        used_.insert(key);
    } else {
        // Weight-norm pairs in either naming.
        const auto dot = key.rfind('.');
        const std::string base = dot == std::string::npos ? "" : key.substr(0, dot + 1);
        const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
        const std::pair<std::string, std::string> names[] = {
            {key + "_g", key + "_v"},
            {base + "parametrizations." + leaf + ".original0",
             base + "parametrizations." + leaf + ".original1"}};
        for (const auto& [gName, vName] : names) {
            if (file_->find(gName) && file_->find(vName)) {
                auto g = toTensor(*file_, gName).to(torch::kFloat32);
                auto v = toTensor(*file_, vName).to(torch::kFloat32);
                try {
                    value = foldWeightNorm(g, v);
                } catch (const std::exception& e) {
                    throw SafetensorsError("'" + file_->path() + "': tensor '" + key +
                                           "': " + e.what());
                }
                used_.insert(gName);
                used_.insert(vName);
                break;
            }
        }
        if (!value.defined())
            throw SafetensorsError("'" + file_->path() + "' is missing tensor '" + key +
                                   "' (expected shape " + shapeText(target.sizes()) + ")");
    }
    if (value.sizes() != target.sizes())
        throw SafetensorsError("'" + file_->path() + "': tensor '" + key + "' has shape " +
                               shapeText(value.sizes()) + ", the model expects " +
                               shapeText(target.sizes()));
    const bool fileFloat = value.is_floating_point();
    const bool targetFloat = target.is_floating_point();
    if (fileFloat != targetFloat || (!fileFloat && value.scalar_type() != target.scalar_type()))
        throw SafetensorsError("'" + file_->path() + "': tensor '" + key + "' has dtype " +
                               std::string(c10::toString(value.scalar_type())) +
                               ", the model expects " +
                               std::string(c10::toString(target.scalar_type())));
    if (fileFloat && !torch::isfinite(value).all().item<bool>())
        throw SafetensorsError("'" + file_->path() + "': tensor '" + key + "' contains NaN or Inf");
    return value.to(target.scalar_type());
}

void StateDictLoader::load(torch::nn::Module& module, const std::string& prefix) {
    load(module, prefix, {});
}

void StateDictLoader::load(torch::nn::Module& module, const std::string& prefix,
                           const std::vector<std::string>& skipPrefixes) {
    torch::NoGradGuard noGrad;
    auto skipped = [&](const std::string& key) {
        for (const auto& s : skipPrefixes)
            if (key.rfind(s, 0) == 0) return true;
        return false;
    };
    for (auto& item : module.named_parameters(/*recurse=*/true)) {
        if (skipped(prefix + item.key())) continue;
        auto v = fetch(prefix + item.key(), item.value());
        item.value().copy_(v);
    }
    for (auto& item : module.named_buffers(/*recurse=*/true)) {
        if (skipped(prefix + item.key())) continue;
        auto v = fetch(prefix + item.key(), item.value());
        item.value().copy_(v);
    }
}

torch::Tensor StateDictLoader::take(const std::string& name,
                                    const std::vector<int64_t>& expectedShape) {
    const TensorInfo& info = file_->at(name);
    auto t = toTensor(*file_, info);
    if (!expectedShape.empty() && t.sizes() != c10::IntArrayRef(expectedShape))
        throw SafetensorsError("'" + file_->path() + "': tensor '" + name + "' has shape " +
                               shapeText(t.sizes()) + ", expected " + shapeText(expectedShape));
    used_.insert(name);
    return t;
}

void StateDictLoader::allowUnused(const std::string& pattern) {
    allowed_.emplace_back(pattern);
    allowedText_.push_back(pattern);
}

void StateDictLoader::finish() const {
    std::vector<std::string> unused;
    for (const auto& t : file_->tensors()) {
        if (used_.count(t.name)) continue;
        bool ok = false;
        for (const auto& re : allowed_)
            if (std::regex_match(t.name, re)) {
                ok = true;
                break;
            }
        if (!ok) unused.push_back(t.name);
    }
    if (unused.empty()) return;
    std::string msg = "'" + file_->path() + "' has " + std::to_string(unused.size()) +
                      " tensor(s) the model does not use: ";
    for (std::size_t i = 0; i < unused.size() && i < 8; ++i)
        msg += (i ? ", '" : "'") + unused[i] + "'";
    if (unused.size() > 8) msg += ", ...";
    throw SafetensorsError(msg);
}

} // namespace moodsteer::models
