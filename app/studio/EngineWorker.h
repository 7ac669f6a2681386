// Runs engine jobs on the engine thread, one at a time: each run(job) call arrives as a queued
// call, so the thread's event queue is the job queue (FIFO, in submission order). Progress,
// audio, partial results and the outcome leave as signals naming the job (queued to the GUI
// thread). The worker owns the EngineContext (the loaded model, the emotion head).
//
// Threading: constructed on the GUI thread, then moved to the engine thread; run() and the
// JobSink methods run on the engine thread; nothing here touches a widget.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineContext.h"
#include "widgets/EngineJob.h"

#include <QObject>
#include <QString>
#include <QVariant>
#include <QVector>

#include <memory>

namespace moodsteer::studio {

class EngineWorker : public QObject, private widgets::JobSink {
    Q_OBJECT
  public:
    explicit EngineWorker(QObject* parent = nullptr);
    ~EngineWorker() override;

    /// Runs `job` unless it was cancelled while queued (then only `failed` is emitted).
    void run(const std::shared_ptr<widgets::EngineJob>& job);

  signals:
    void started(moodsteer::widgets::JobId id);
    void progressed(moodsteer::widgets::JobId id, const moodsteer::widgets::JobProgress& p);
    void audioReady(moodsteer::widgets::JobId id, const QVector<float>& samples, int sampleRate);
    void partialReady(moodsteer::widgets::JobId id, const QVariant& value);
    void finished(moodsteer::widgets::JobId id, const QVariant& result);
    void failed(moodsteer::widgets::JobId id, const QString& message);

  private:
    void progress(const widgets::JobProgress& p) override { emit progressed(current_, p); }
    void partial(const QVariant& value) override { emit partialReady(current_, value); }
    void audio(const QVector<float>& samples, int sampleRate) override {
        emit audioReady(current_, samples, sampleRate);
    }

    widgets::EngineContext context_;
    widgets::JobId current_ = 0;
};

} // namespace moodsteer::studio
