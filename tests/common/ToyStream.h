// A stream decoder for tests of the code around one (the pipelined decoder, session probes):
// 4 samples per frame derived from its first two codes, the last frame held back until the
// next push or finish() (a codec's look-ahead, as EnCodec's held edge), copyable, and a code
// below 0 throws CodecError.
#pragma once

#include "core/audio/AudioCodec.h"

#include <memory>
#include <optional>
#include <vector>

namespace moodsteer::test {

class ToyStream : public StreamDecoder {
  public:
    std::vector<float> push(const CodeGrid& f) override {
        std::vector<float> out;
        for (int t = 0; t < f.frames; ++t) {
            if (f.at(0, t) < 0) throw CodecError("toy: bad code");
            if (held_) emit(*held_, out);
            held_ = f.at(0, t) * 10 + f.at(1, t);
        }
        return out;
    }
    std::vector<float> finish() override {
        std::vector<float> out;
        if (held_) emit(*held_, out);
        held_.reset();
        return out;
    }
    std::unique_ptr<StreamDecoder> clone() const override {
        return std::make_unique<ToyStream>(*this);
    }

  private:
    static void emit(std::int64_t v, std::vector<float>& out) {
        for (int i = 0; i < 4; ++i)
            out.push_back(static_cast<float>(v * 4 + i));
    }
    std::optional<std::int64_t> held_;
};

} // namespace moodsteer::test
