// Generations from request to library: submits each recipe as a GenerateJob, streams the
// running one's audio into the transport (playback starts as soon as the rest will arrive in
// time), and files each finished clip in the library. It follows only its own jobs (by id):
// other engine jobs, queued before or after, are never touched. Panels stay dumb; the main
// window only wires.
#pragma once

#include "core/library/ClipLibrary.h"
#include "widgets/EngineClient.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

#include <memory>

namespace moodsteer::widgets {

class TransportPanel;

class GenerationController : public QObject {
    Q_OBJECT
  public:
    /// `library` may be null (clips are then not kept). All must outlive the controller.
    GenerationController(EngineClient* engine, TransportPanel* transport, ClipLibrary* library,
                         QObject* parent = nullptr);

    /// Start playback while generating, once the generator is far enough ahead: when it is
    /// slower than real time, enough audio is buffered first (PrebufferEstimate, from the
    /// engine's measured speed) for playback never to run dry, and statusMessage says how long
    /// that takes ("Buffering 4.2 s before playback: …", at most a few times a second).
    void setAutoPlay(bool on) { autoPlay_ = on; }
    /// True while one of this controller's generations is queued or running.
    bool isBusy() const { return !jobs_.isEmpty(); }
    /// Queues a generation (behind any running engine job); 0 (with a status message) when
    /// no model is loaded. takes > 1: that many takes in one batch (GenerateJob), take 1
    /// streamed into the transport, every take filed in the library (clipAdded per take).
    JobId generate(const Recipe& recipe, int takes = 1);
    /// "" when `recipe` can be regenerated exactly with the loaded model; otherwise one line
    /// saying why not: no model, another model or revision (ModelLocator::mismatch), or another
    /// weight precision. Recipes from before provenance was recorded pass.
    QString exactRegenerationProblem(const Recipe& recipe) const;
    /// Queues any job whose result is a GenerationResult (a SessionJob) like a generation:
    /// streamed into the transport, filed in the library. `seconds`: the clip's length.
    JobId submit(std::shared_ptr<EngineJob> job, double seconds);
    /// Sessions: a cancelled run that kept audio (recipe marked incomplete) is filed in the
    /// library too, and playback may start once the generator runs at >= 1.25x real time
    /// with audio buffered (a window arrives before the previous one has played).
    void setSessionMode(bool on) { sessionMode_ = on; }
    /// A sentence added to the "Buffering …" message, e.g. that a faster precision would wait
    /// less ("" for none; the studio sets it from the loaded model's precision).
    void setBufferingHint(const QString& hint) { bufferingHint_ = hint; }
    QString bufferingHint() const { return bufferingHint_; }
    /// Cancels this controller's generations (queued and running), no other job.
    void cancel();
    /// This controller's queued and running generations, oldest first.
    const QList<JobId>& jobs() const { return jobs_; }
    /// Seconds of audio received for the running (or last) generation.
    double streamedSeconds() const;
    bool playbackStartedWhileGenerating() const { return playStartedEarly_; }
    QString lastClipId() const { return lastClipId_; }

    /// Streaming playback may start once the audio already made covers the time the rest
    /// still needs (`etaSeconds`) with a margin (x1.25 + 1 s): then playback never catches up.
    /// (The controller itself uses the finer PrebufferEstimate, which also counts the audio
    /// made while playing; this stricter rule is kept for callers that know only the eta.)
    static bool safeToStartPlayback(double generatedSeconds, double etaSeconds);
    /// Audio seconds made per second of generation for the running job (0: not known yet).
    double generationSpeed() const { return speed_; }

  signals:
    void busyChanged(bool busy);
    void progress(const moodsteer::GenerationProgress& progress);
    /// The clip `id` made by generation `job` is in the library.
    void clipAdded(const QString& id, moodsteer::widgets::JobId job);
    /// Generation `job` ended without a clip: cancelled (the partial audio stays in the
    /// transport for listening), or the library could not store it.
    void ended(moodsteer::widgets::JobId job);
    void statusMessage(const QString& text);
    void failed(const QString& message, moodsteer::widgets::JobId job);

  private:
    void onStarted(JobId id);
    void onChunk(JobId id, const QVector<float>& samples, int sampleRate);
    void onProgress(JobId id, const JobProgress& p);
    void onFinished(JobId id, const QVariant& result);
    /// Takes 2..N of a takes job: filed in the library.
    void onPartial(JobId id, const QVariant& value);
    /// Files a finished clip in the library; emits clipAdded (or failed). Returns its id.
    QString file(const GenerationResult& result, JobId job);
    void onFailed(JobId id, const QString& message);
    void maybeStartPlayback(bool finished);
    /// Forgets `id`; emits busyChanged(false) when it was the last one.
    void forget(JobId id);
    void track(JobId id, double seconds, bool waits);

    EngineClient* engine_;
    TransportPanel* transport_;
    ClipLibrary* library_;
    bool autoPlay_ = true;
    QList<JobId> jobs_;
    QHash<JobId, double> seconds_; ///< each generation's clip length
    QSet<JobId> cancelling_;       ///< cancelled here (a queued one then "fails" quietly)
    JobId running_ = 0;            ///< the generation streaming into the transport
    bool streamOpen_ = false;
    bool playStarted_ = false;
    bool playStartedEarly_ = false;
    int rate_ = 32000;
    std::size_t streamed_ = 0;
    double eta_ = 1e9;
    double speed_ = 0;
    bool sessionMode_ = false;
    QString bufferingHint_;
    double largestChunk_ = 0;      ///< seconds: sessions arrive a window at a time
    QElapsedTimer clock_;          ///< since the running job started
    QElapsedTimer bufferingShown_; ///< since the last "Buffering …" message (invalid: none)
    QString lastClipId_;
};

} // namespace moodsteer::widgets
