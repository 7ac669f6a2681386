#include "engine/MusicgenFamily.h"

#include "engine/MusicgenWindow.h"

namespace moodsteer {

std::unique_ptr<WindowDecoder> MusicgenFamily::begin(const WindowRequest& request) {
    return beginWindow(request);
}

std::unique_ptr<MusicgenWindow> MusicgenFamily::beginWindow(const WindowRequest& request,
                                                            const models::DecoderHooks* observer,
                                                            std::function<void(int)> beforeStep,
                                                            std::vector<torch::Tensor>* scores) {
    if (!request.recipe) throw EngineError("a window needs a recipe");
    return std::make_unique<MusicgenWindow>(engine_, request, observer, std::move(beforeStep),
                                            scores);
}

} // namespace moodsteer
