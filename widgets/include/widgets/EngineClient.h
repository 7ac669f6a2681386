// The studio's view of the engine: every operation is an EngineJob (widgets/EngineJob.h),
// submitted here, queued, and run one at a time on the engine thread in submission order.
// Results come back as the job signals below, each naming the job; cancelling a job touches
// no other job. The real implementation (app/studio) runs the jobs on its own thread; tests
// use a fake. Widgets never see LibTorch.
//
// A job's signals, in order: jobQueued, then either jobFailed (cancelled before it started)
// or jobStarted, jobProgress/jobAudio/jobPartial..., and jobFinished or jobFailed. `busy`
// (isBusy, busyChanged) is derived from the list of queued and running jobs and from nothing
// else. The model state (modelInfo, modelLoad* signals) follows the LoadModelJobs.
//
// Threading: all methods are called on the GUI thread; submit and cancel return at once;
// signals are delivered on the GUI thread.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"
#include "widgets/ExploreLayersJob.h"
#include "widgets/LoadModelJob.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QVector>

#include <memory>
#include <optional>

namespace moodsteer::widgets {

/// Registers the core value types and the job types for queued connections (call once
/// before connecting).
void registerEngineMetaTypes();

class EngineClient : public QObject {
    Q_OBJECT
  public:
    explicit EngineClient(QObject* parent = nullptr);
    ~EngineClient() override;

    /// Queues `job` and returns its id (jobQueued is emitted before this returns).
    JobId submit(std::shared_ptr<EngineJob> job);
    /// Cancels one job: a queued one is dropped at once (jobFailed before this returns), a
    /// running one is asked to stop and ends as its kind says. False for an unknown or ended id.
    bool cancel(JobId id);
    /// Every queued and running job (at exit).
    void cancelAll();

    /// Queued and running jobs, in the order they run.
    QList<EngineJobInfo> jobs() const;
    std::optional<EngineJobInfo> job(JobId id) const;
    /// True while any job is queued or running.
    bool isBusy() const { return !jobs_.isEmpty(); }
    /// True while a job of `kind` is queued or running.
    bool hasJob(const QString& kind) const;

    // ---- Submitting the studio's operations (each is one job) ---------------------------
    /// `folder` empty: the embedded model. Clears modelInfo() until the job ends.
    JobId loadModel(const QString& folder, int threads, const QString& precision = "f32");
    /// Frees the model (after the jobs queued before it). Clears modelInfo() at once: a
    /// generation submitted afterwards fails with "No model is loaded".
    JobId unloadModel();
    JobId generate(const moodsteer::Recipe& recipe);
    /// Fails (as a job) when the emotion head is unavailable.
    JobId predictEmotion(const QString& clipId, const moodsteer::AudioBuffer& audio);
    /// The clip's alignment score to `prompt` (AlignmentScoreJob); fails (as a job) when the
    /// alignment model is unavailable.
    JobId scoreAlignment(const QString& clipId, const moodsteer::AudioBuffer& audio,
                         const QString& prompt);
    JobId exploreLayers(const LayerExplorerRequest& request);
    JobId runEmotionBenchmark(const moodsteer::EmotionBenchmarkOptions& options);

    std::optional<moodsteer::ModelInfo> modelInfo() const { return info_; }
    /// The loaded model with its provenance and precision (set with modelInfo()).
    std::optional<LoadModelJob::Loaded> loadedModel() const {
        return info_ ? loaded_ : std::nullopt;
    }
    /// Where the embedded default model lives ("" when it is not installed).
    virtual QString embeddedModelFolder() const;
    /// The emotion head the prediction and benchmark jobs use: an installed MERT head whose
    /// model is present, else the embedded head (preferredEmotionHeadPath()). Chosen once, on
    /// first use (it reads the head's file): a head installed later counts from the next start.
    virtual QString emotionHeadPath() const;
    /// Why the emotion predictor cannot run ("" when it can: its head file is installed).
    virtual QString emotionPredictorUnavailableReason() const;
    /// The text-audio alignment model the score jobs use (the shipped
    /// resources/alignment/alignment.safetensors).
    virtual QString alignmentModelPath() const;
    /// Why the alignment score cannot run ("" when it can: the model file is installed).
    virtual QString alignmentUnavailableReason() const;

  signals:
    void jobQueued(const moodsteer::widgets::EngineJobInfo& job);
    void jobStarted(moodsteer::widgets::JobId id);
    void jobProgress(moodsteer::widgets::JobId id, const moodsteer::widgets::JobProgress& progress);
    /// A running generation's audio so far (consecutive chunks).
    void jobAudio(moodsteer::widgets::JobId id, const QVector<float>& samples, int sampleRate);
    /// A typed intermediate result; the job's header names its type.
    void jobPartial(moodsteer::widgets::JobId id, const QVariant& value);
    /// The job's typed result (its class's `Result`).
    void jobFinished(moodsteer::widgets::JobId id, const QVariant& result);
    void jobFailed(moodsteer::widgets::JobId id, const QString& message);
    void busyChanged(bool busy);

    void modelLoadStarted(const QString& folder);
    void modelLoaded(const moodsteer::ModelInfo& info);
    void modelLoadFailed(const QString& message);
    /// An UnloadModelJob finished: no model is loaded; `freedMB` of resident memory came back.
    void modelUnloaded(double freedMB);

  protected:
    /// Hands a submitted job to the engine (the real thread, or a simulation). Called once
    /// per job, in submission order; the implementation reports back with the calls below.
    virtual void enqueue(std::shared_ptr<EngineJob> job) = 0;

    // Reports from the engine, on the GUI thread. Reports about a job that already ended
    // (e.g. cancelled while queued) are ignored.
    void reportStarted(JobId id);
    void reportProgress(JobId id, const JobProgress& progress);
    void reportAudio(JobId id, const QVector<float>& samples, int sampleRate);
    void reportPartial(JobId id, const QVariant& value);
    void reportFinished(JobId id, const QVariant& result);
    void reportFailed(JobId id, const QString& message);

  private:
    struct Entry {
        std::shared_ptr<EngineJob> job;
        EngineJobInfo info;
    };
    int indexOf(JobId id) const;
    /// Removes the job; emits busyChanged when the list became empty. Returns its kind.
    QString remove(int index);

    QList<Entry> jobs_;
    mutable std::optional<QString> emotionHead_; ///< emotionHeadPath(), once chosen
    JobId nextId_ = 1;
    std::optional<moodsteer::ModelInfo> info_;
    /// The model the engine holds (info_ is cleared while a load is pending).
    std::optional<moodsteer::ModelInfo> loadedInfo_;
    std::optional<LoadModelJob::Loaded> loaded_;
};

} // namespace moodsteer::widgets
