// One engine operation (load a model, generate, predict an emotion, explore layers, a
// benchmark, ...) as a job: an id, a kind, its own cancel token, progress, and a typed result
// or an error. EngineClient queues jobs and runs them one at a time on the engine thread, in
// the order they were submitted; its signals jobQueued/jobStarted/jobProgress/jobFinished/
// jobFailed carry the job id. docs/jobs.md shows a job's way from click to result.
//
// How to add an operation (a session, a model download, a training run, ...):
//   1. Write one class `FooJob : public EngineJob` (FooJob.h/.cpp in widgets/):
//      - the request as constructor arguments, stored by value (the job crosses threads);
//      - `kind()`: a short stable name ("foo"), `title()`: what the jobs strip shows;
//      - `run(EngineContext&, JobSink&)`: does the work on the engine thread and returns the
//        typed result in a QVariant (declare `using Result = ...;` and Q_DECLARE_METATYPE it);
//        throw std::exception with a one-line message to fail. Long work calls
//        `sink.progress(...)` now and then and passes `cancelToken()` to core (or checks
//        `isCancelRequested()` between steps), then returns early (a partial result, or throw
//        EngineError("cancelled")). Intermediate typed results go out by `sink.partial(...)`.
//   2. Submit it: `JobId id = client->submit(std::make_shared<FooJob>(...))`, and connect to
//      the job signals, filtering on `id`. Nothing else changes: not the client, the worker,
//      the jobs strip or the metatype list (register Result's metatype in the job's .cpp).
//   The fake engine in tests/widgets simulates each kind; a new kind needs a simulation there
//   only if a widget test submits it.
//
// Threading: a job is created and submitted on the GUI thread, runs on the engine thread, and
// is shared between both (std::shared_ptr). Only the atomics (cancel, state) are touched from
// both threads; the request is read-only once submitted.
#pragma once

#include <QMetaType>
#include <QString>
#include <QVariant>
#include <QVector>

#include <atomic>
#include <cstdint>

namespace moodsteer::widgets {

class EngineContext;

/// Ids start at 1; 0 means "no job".
using JobId = quint64;

struct JobProgress {
    int done = 0;           ///< steps, clips, layers, ... done (with `total`)
    int total = 0;          ///< 0: unknown (a busy indicator)
    double etaSeconds = -1; ///< time left; < 0: unknown
    QString message;        ///< what happens now ("Analysing layer 3")
    /// done / total in [0, 1]; -1 when the total is unknown.
    double fraction() const { return total > 0 ? double(done) / total : -1.0; }
};

/// A job as the GUI sees it (a snapshot, kept by EngineClient).
struct EngineJobInfo {
    enum class State { Queued, Running };
    JobId id = 0;
    QString kind;
    QString title;
    State state = State::Queued;
    bool cancelRequested = false;
    JobProgress progress;
};

/// Where a running job reports to (implemented by the engine worker; engine thread only).
class JobSink {
  public:
    virtual ~JobSink() = default;
    virtual void progress(const JobProgress& progress) = 0;
    /// A typed intermediate result (e.g. one benchmark clip); the job's header names the type.
    virtual void partial(const QVariant& value) = 0;
    /// Streamed audio (implicitly shared: cheap to queue). Send ~0.1 s at a time, not per step.
    virtual void audio(const QVector<float>& samples, int sampleRate) = 0;
};

class EngineJob {
  public:
    enum class State { Queued, Running, CancelledBeforeStart };

    EngineJob() = default;
    virtual ~EngineJob() = default;
    EngineJob(const EngineJob&) = delete;
    EngineJob& operator=(const EngineJob&) = delete;

    /// A short stable name of the operation ("generate").
    virtual QString kind() const = 0;
    /// One line for the jobs strip ("Generate 10 s: calm jazz").
    virtual QString title() const = 0;
    /// Does the work on the engine thread; throws to fail (the message is shown to the user).
    virtual QVariant run(EngineContext& context, JobSink& sink) = 0;

    JobId id() const { return id_; }
    /// Set by EngineClient::submit (GUI thread, before the job is queued).
    void setId(JobId id) { id_ = id; }

    /// Any thread. The job sees it at its next check; a queued job never starts.
    void requestCancel() { cancel_.store(true); }
    bool isCancelRequested() const { return cancel_.load(); }
    /// For core functions that take a cancel flag; lives as long as the job.
    const std::atomic<bool>* cancelToken() const { return &cancel_; }

    /// Engine thread, just before run(): false when the job was cancelled while queued.
    bool tryStart();
    /// GUI thread: cancels a job that has not started; false when it already runs.
    bool tryCancelQueued();
    State state() const { return state_.load(); }

  private:
    JobId id_ = 0;
    std::atomic<bool> cancel_{false};
    std::atomic<State> state_{State::Queued};
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::JobProgress)
Q_DECLARE_METATYPE(moodsteer::widgets::EngineJobInfo)
