// Pieces that the studio makes from other pieces, from request to library: an imported MIDI
// file (ImportMidiJob) and variations or a restored range of a clip (VariationsJob). Each is
// one engine job (progress and cancel in the jobs strip); what finishes is filed in the
// library with its codes, variations of one request as one group (Recipe::variationOf /
// variation / variations). It follows only its own jobs (by id).
//
// Threading: GUI thread only.
#pragma once

#include "core/library/ClipLibrary.h"
#include "widgets/EngineClient.h"
#include "widgets/VariationSettings.h"

#include <QHash>
#include <QObject>
#include <QStringList>

namespace moodsteer::widgets {

class VariationsController : public QObject {
    Q_OBJECT
  public:
    /// `library` may be null: nothing can then be filed, and every request says so.
    VariationsController(EngineClient* engine, ClipLibrary* library, QObject* parent = nullptr);

    /// Queues the import of a MIDI file; 0 (with failed()) without a library.
    JobId importMidi(const QString& path);
    /// Queues settings.count variations of library clip `clipId` (from its stored codes); 0
    /// (with failed()) when the clip has no codes or there is no library.
    JobId makeVariations(const QString& clipId, const VariationSettings& settings);
    /// Queues the restoration of [from, to) seconds of `clipId`: one new clip in which only
    /// that range is regenerated to fit what surrounds it.
    JobId restore(const QString& clipId, double from, double to, std::uint64_t seed = 1);
    /// True while one of this controller's jobs is queued or running.
    bool isBusy() const { return !jobs_.isEmpty(); }
    /// Cancels this controller's jobs, no other.
    void cancel();

  signals:
    /// Clips filed by job `job` (one for an import, one per variation), in order.
    void clipsAdded(const QStringList& ids, moodsteer::widgets::JobId job);
    void statusMessage(const QString& text);
    void failed(const QString& message, moodsteer::widgets::JobId job);
    void busyChanged(bool busy);

  private:
    JobId track(JobId id, const QString& what);
    void onFinished(JobId id, const QVariant& result);
    void onFailed(JobId id, const QString& message);
    void forget(JobId id);
    /// Files one clip; "" (and failed()) when the library refuses it.
    QString file(const GenerationResult& result, const QString& name, JobId job);

    EngineClient* engine_;
    ClipLibrary* library_;
    QHash<JobId, QString> jobs_; ///< job -> what it makes ("song.mid", "variations of x")
};

} // namespace moodsteer::widgets
