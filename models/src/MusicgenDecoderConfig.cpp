// MusicgenDecoderConfig parsing and validation.
#include "models/MusicgenDecoder.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace moodsteer::models {
namespace {

[[noreturn]] void fail(const std::string& field, const std::string& what) {
    throw std::invalid_argument("MusicGen decoder config: field '" + field + "' " + what);
}

void readInt(const nlohmann::json& j, const char* field, int64_t& out) {
    auto it = j.find(field);
    if (it == j.end()) return; // upstream default
    if (!it->is_number_integer()) fail(field, "must be an integer, got " + it->dump());
    out = it->get<int64_t>();
}

void readBool(const nlohmann::json& j, const char* field, bool& out) {
    auto it = j.find(field);
    if (it == j.end()) return;
    if (!it->is_boolean()) fail(field, "must be true or false, got " + it->dump());
    out = it->get<bool>();
}

void readString(const nlohmann::json& j, const char* field, std::string& out) {
    auto it = j.find(field);
    if (it == j.end()) return;
    if (!it->is_string()) fail(field, "must be a string, got " + it->dump());
    out = it->get<std::string>();
}

void requirePositive(const char* field, int64_t value) {
    if (value <= 0) fail(field, "must be positive, got " + std::to_string(value));
}

} // namespace

MusicgenDecoderConfig MusicgenDecoderConfig::fromJson(const nlohmann::json& json) {
    const nlohmann::json* j = &json;
    if (j->is_object() && j->contains("decoder") && !j->contains("vocab_size"))
        j = &json.at("decoder"); // a whole MusicgenForConditionalGeneration config.json
    if (!j->is_object())
        throw std::invalid_argument("MusicGen decoder config must be a JSON object, got " +
                                    j->dump().substr(0, 80));
    MusicgenDecoderConfig c;
    readInt(*j, "vocab_size", c.vocab_size);
    readInt(*j, "max_position_embeddings", c.max_position_embeddings);
    readInt(*j, "num_hidden_layers", c.num_hidden_layers);
    readInt(*j, "ffn_dim", c.ffn_dim);
    readInt(*j, "num_attention_heads", c.num_attention_heads);
    readInt(*j, "hidden_size", c.hidden_size);
    readInt(*j, "num_codebooks", c.num_codebooks);
    readString(*j, "activation_function", c.activation_function);
    readBool(*j, "scale_embedding", c.scale_embedding);
    readInt(*j, "pad_token_id", c.pad_token_id);
    readInt(*j, "bos_token_id", c.bos_token_id);
    c.validate();
    return c;
}

void MusicgenDecoderConfig::validate() const {
    requirePositive("vocab_size", vocab_size);
    requirePositive("max_position_embeddings", max_position_embeddings);
    requirePositive("num_hidden_layers", num_hidden_layers);
    requirePositive("ffn_dim", ffn_dim);
    requirePositive("num_attention_heads", num_attention_heads);
    requirePositive("hidden_size", hidden_size);
    requirePositive("num_codebooks", num_codebooks);
    if (hidden_size % num_attention_heads != 0)
        fail("hidden_size", "(" + std::to_string(hidden_size) +
                                ") must be divisible by num_attention_heads (" +
                                std::to_string(num_attention_heads) + ")");
    // The sinusoid frequencies divide by (hidden_size / 2 - 1).
    if (hidden_size < 4)
        fail("hidden_size",
             "must be at least 4 for the sinusoidal positions, got " + std::to_string(hidden_size));
    if (activation_function != "gelu" && activation_function != "relu")
        fail("activation_function",
             "must be \"gelu\" or \"relu\", got \"" + activation_function + "\"");
    // Ids are embedded, so they must be rows of the (vocab_size + 1)-row tables.
    if (pad_token_id < 0 || pad_token_id > vocab_size)
        fail("pad_token_id", "(" + std::to_string(pad_token_id) +
                                 ") must be in [0, vocab_size=" + std::to_string(vocab_size) + "]");
    if (bos_token_id < 0 || bos_token_id > vocab_size)
        fail("bos_token_id", "(" + std::to_string(bos_token_id) +
                                 ") must be in [0, vocab_size=" + std::to_string(vocab_size) + "]");
    if (!(layer_norm_eps > 0)) fail("layer_norm_eps", "must be positive");
}

} // namespace moodsteer::models
