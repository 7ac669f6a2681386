// One generation from request to library: sends the recipe to the engine, streams the audio
// chunks into the transport (playback starts as soon as the rest will arrive in time), and
// files the finished clip in the library. Panels stay dumb; the main window only wires.
#pragma once

#include "core/ClipLibrary.h"
#include "widgets/EngineClient.h"

#include <QObject>

namespace moodsteer::widgets {

class TransportPanel;

class GenerationController : public QObject {
    Q_OBJECT
  public:
    /// `library` may be null (clips are then not kept). All must outlive the controller.
    GenerationController(EngineClient* engine, TransportPanel* transport, ClipLibrary* library,
                         QObject* parent = nullptr);

    /// Start playback while generating, once the generator is far enough ahead.
    void setAutoPlay(bool on) { autoPlay_ = on; }
    bool isBusy() const { return busy_; }
    /// false (with a status message) when no model is loaded or a generation is running.
    bool generate(const Recipe& recipe);
    void cancel();
    /// Seconds of audio received for the running (or last) generation.
    double streamedSeconds() const;
    bool playbackStartedWhileGenerating() const { return playStartedEarly_; }
    QString lastClipId() const { return lastClipId_; }

    /// Streaming playback may start once the audio already made covers the time the rest
    /// still needs (`etaSeconds`) with a margin (x1.25 + 1 s): then playback never catches up.
    static bool safeToStartPlayback(double generatedSeconds, double etaSeconds);

  signals:
    void busyChanged(bool busy);
    void progress(const moodsteer::GenerationProgress& progress);
    void clipAdded(const QString& id);
    void statusMessage(const QString& text);
    void failed(const QString& message);

  private:
    void onStarted(const Recipe& recipe, int sampleRate);
    void onChunk(const QVector<float>& samples);
    void onProgress(const GenerationProgress& p);
    void onFinished(const GenerationResult& result);
    void onFailed(const QString& message);
    void maybeStartPlayback(bool finished);
    void setBusy(bool busy);

    EngineClient* engine_;
    TransportPanel* transport_;
    ClipLibrary* library_;
    bool autoPlay_ = true;
    bool busy_ = false;
    bool playStarted_ = false;
    bool playStartedEarly_ = false;
    int rate_ = 32000;
    std::size_t streamed_ = 0;
    double eta_ = 1e9;
    QString lastClipId_;
};

} // namespace moodsteer::widgets
