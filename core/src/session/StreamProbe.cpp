#include "session/StreamProbe.h"
#include "audio/CodeGridJoin.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace moodsteer {

std::unique_ptr<StreamProbe> StreamProbe::open(const StreamDecoder& stream, int checkpoint) {
    std::unique_ptr<StreamDecoder> copy = stream.clone();
    if (!copy) return nullptr;
    return std::unique_ptr<StreamProbe>(new StreamProbe(std::move(copy), checkpoint));
}

void StreamProbe::add(const CodeGrid& fresh) {
    if (fresh.frames > 0) codes_ = joinFrames(codes_, fresh);
}

void StreamProbe::feed(int upTo) {
    upTo = std::min(upTo, codes_.frames);
    while (fed_ < upTo) {
        // Stop at the checkpoint, and keep the decoder there (once every frame before it is
        // decoded: a pipelined one is waited for).
        const bool atCheckpoint =
            !checkpoint_ && checkpointFrame_ > fed_ && checkpointFrame_ <= upTo;
        const int stop = atCheckpoint ? checkpointFrame_ : upTo;
        std::vector<float> audio = decoder_->push(codes_.slice(fed_, stop));
        heard_.insert(heard_.end(), audio.begin(), audio.end());
        fed_ = stop;
        if (atCheckpoint) {
            std::vector<float> rest = decoder_->drain();
            heard_.insert(heard_.end(), rest.begin(), rest.end());
            checkpoint_ = decoder_->clone();
            checkpointHeard_ = heard_.size();
        }
    }
}

const std::vector<float>& StreamProbe::heard() {
    std::vector<float> rest = decoder_->drain();
    heard_.insert(heard_.end(), rest.begin(), rest.end());
    return heard_;
}

StreamProbe::Part StreamProbe::commit() {
    heard();
    Part part;
    part.decoder = decoder_->clone();
    part.chunk.assign(heard_.begin() + static_cast<std::ptrdiff_t>(taken_), heard_.end());
    taken_ = heard_.size();
    takenFrames_ = fed_;
    return part;
}

std::vector<float> StreamProbe::untaken() {
    heard();
    return {heard_.begin() + static_cast<std::ptrdiff_t>(taken_), heard_.end()};
}

StreamProbe::Part StreamProbe::end(int frames) {
    if (frames < takenFrames_ || frames > codes_.frames)
        throw std::logic_error("StreamProbe::end: " + std::to_string(frames) +
                               " frames outside the " + std::to_string(takenFrames_) + ".." +
                               std::to_string(codes_.frames) + " it can end at");
    Part part;
    if (frames >= fed_) {
        feed(frames);
        heard();
        part.decoder = std::move(decoder_);
        part.chunk.assign(heard_.begin() + static_cast<std::ptrdiff_t>(taken_), heard_.end());
    } else if (checkpoint_ && frames >= checkpointFrame_ && takenFrames_ <= checkpointFrame_) {
        part.chunk.assign(heard_.begin() + static_cast<std::ptrdiff_t>(taken_),
                          heard_.begin() + static_cast<std::ptrdiff_t>(checkpointHeard_));
        part.decoder = std::move(checkpoint_);
        std::vector<float> rest =
            part.decoder->pushAndDrain(codes_.slice(checkpointFrame_, frames));
        part.chunk.insert(part.chunk.end(), rest.begin(), rest.end());
    }
    decoder_.reset();
    checkpoint_.reset();
    return part;
}

} // namespace moodsteer
