// Records what an EngineClient reports about its jobs (of one kind, or all): which were
// queued, started, finished (with their typed results) or failed, in the order it happened.
#pragma once

#include "widgets/EngineClient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QList>
#include <QPair>
#include <QSet>
#include <QStringList>
#include <QTest>

namespace moodsteer::test {

class JobSpy : public QObject {
  public:
    using JobId = widgets::JobId;
    /// Every event as "started 3", "finished 3", "failed 4", ... in order.
    QStringList events;
    QList<JobId> queued;
    QList<JobId> started;
    QList<QPair<JobId, QVariant>> finished;
    QList<QPair<JobId, QString>> failed;
    QHash<JobId, int> audioChunks;
    QHash<JobId, int> progressReports;

    /// `kind` empty: every job.
    explicit JobSpy(widgets::EngineClient* engine, QString kind = {}) : kind_(std::move(kind)) {
        using widgets::EngineClient;
        connect(engine, &EngineClient::jobQueued, this, [this](const widgets::EngineJobInfo& j) {
            if (!kind_.isEmpty() && j.kind != kind_) return;
            mine_.insert(j.id);
            queued << j.id;
            events << QString("queued %1").arg(j.id);
        });
        connect(engine, &EngineClient::jobStarted, this, [this](JobId id) {
            if (!mine_.contains(id)) return;
            started << id;
            events << QString("started %1").arg(id);
        });
        connect(engine, &EngineClient::jobAudio, this, [this](JobId id) {
            if (mine_.contains(id)) ++audioChunks[id];
        });
        connect(engine, &EngineClient::jobProgress, this, [this](JobId id) {
            if (mine_.contains(id)) ++progressReports[id];
        });
        connect(engine, &EngineClient::jobFinished, this, [this](JobId id, const QVariant& r) {
            if (!mine_.contains(id)) return;
            finished << qMakePair(id, r);
            events << QString("finished %1").arg(id);
        });
        connect(engine, &EngineClient::jobFailed, this, [this](JobId id, const QString& m) {
            if (!mine_.contains(id)) return;
            failed << qMakePair(id, m);
            events << QString("failed %1").arg(id);
        });
    }

    bool hasEnded(JobId id) const { return result(id).isValid() || !error(id).isNull(); }
    /// The result of finished job `id` (invalid if it did not finish).
    QVariant result(JobId id) const {
        for (const auto& f : finished)
            if (f.first == id) return f.second;
        return {};
    }
    /// The message of failed job `id` (null if it did not fail).
    QString error(JobId id) const {
        for (const auto& f : failed)
            if (f.first == id) return f.second;
        return {};
    }
    /// Processes events until `done()` is true or `ms` pass.
    template <class Pred> static bool waitFor(Pred done, int ms) {
        QElapsedTimer clock;
        clock.start();
        while (!done() && clock.elapsed() < ms)
            QTest::qWait(5);
        return done();
    }
    /// Waits until `count` of the spied jobs have ended (finished or failed).
    bool waitEndedCount(int count, int ms) {
        return waitFor([&] { return finished.size() + failed.size() >= count; }, ms);
    }
    bool waitEnded(JobId id, int ms) {
        return waitFor([&] { return hasEnded(id); }, ms);
    }
    /// The last finished job's result as T (a default T when none).
    template <class T> T last() const {
        return finished.isEmpty() ? T{} : finished.back().second.value<T>();
    }

  private:
    QString kind_;
    QSet<JobId> mine_;
};

} // namespace moodsteer::test
