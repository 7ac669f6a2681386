#include "widgets/VariationsController.h"

#include "widgets/ImportMidiJob.h"
#include "widgets/VariationsJob.h"

#include <QFileInfo>

namespace moodsteer::widgets {

VariationsController::VariationsController(EngineClient* engine, ClipLibrary* library,
                                           QObject* parent)
    : QObject(parent), engine_(engine), library_(library) {
    connect(engine_, &EngineClient::jobFinished, this, &VariationsController::onFinished);
    connect(engine_, &EngineClient::jobFailed, this, &VariationsController::onFailed);
}

JobId VariationsController::track(JobId id, const QString& what) {
    jobs_.insert(id, what);
    if (jobs_.size() == 1) emit busyChanged(true);
    return id;
}

void VariationsController::forget(JobId id) {
    if (jobs_.remove(id) && jobs_.isEmpty()) emit busyChanged(false);
}

JobId VariationsController::importMidi(const QString& path) {
    if (!library_) {
        emit failed(tr("Cannot import %1: the clip library is unavailable.").arg(path), 0);
        return 0;
    }
    const JobId id = engine_->submit(std::make_shared<ImportMidiJob>(path));
    emit statusMessage(tr("Importing %1…").arg(QFileInfo(path).fileName()));
    return track(id, QFileInfo(path).completeBaseName());
}

JobId VariationsController::makeVariations(const QString& clipId,
                                           const VariationSettings& settings) {
    const LibraryClip* clip = library_ ? library_->find(clipId.toStdString()) : nullptr;
    std::optional<CodeGrid> codes;
    try {
        if (clip) codes = library_->codes(clip->id);
    } catch (const std::exception& e) {
        emit failed(tr("Cannot read the codes of %1: %2").arg(clipId, e.what()), 0);
        return 0;
    }
    if (!clip || !codes) {
        emit failed(tr("No variations of %1: only clips with SynthCodec codes (the embedded "
                       "model's clips, imported MIDI) can be varied.")
                        .arg(clip ? QString::fromStdString(clip->name) : clipId),
                    0);
        return 0;
    }
    const QString name = QString::fromStdString(clip->name);
    const JobId id =
        engine_->submit(std::make_shared<VariationsJob>(clipId, name, std::move(*codes), settings));
    emit statusMessage(
        settings.restoreFrom
            ? tr("Restoring a range of %1…").arg(name)
            : tr("Making %n variation(s) of %1…", nullptr, settings.count).arg(name));
    return track(id, name);
}

JobId VariationsController::restore(const QString& clipId, double from, double to,
                                    std::uint64_t seed) {
    VariationSettings s;
    s.count = 1;
    s.similarity = 1.0;
    s.seed = seed;
    s.restoreFrom = from;
    s.restoreTo = to;
    return makeVariations(clipId, s);
}

void VariationsController::cancel() {
    for (JobId id : jobs_.keys())
        engine_->cancel(id);
}

QString VariationsController::file(const GenerationResult& result, const QString& name, JobId job) {
    try {
        CodeGrid codes(result.numCodebooks, result.frames);
        codes.data = result.codes;
        return QString::fromStdString(
            library_->add(result.audio, result.recipe, name.toStdString(), &codes).id);
    } catch (const std::exception& e) {
        emit failed(tr("The clip could not be saved to the library: %1").arg(e.what()), job);
        return {};
    }
}

void VariationsController::onFinished(JobId id, const QVariant& result) {
    if (!jobs_.contains(id)) return;
    const QString what = jobs_.value(id);
    forget(id);
    if (result.canConvert<GenerationResult>()) { // an import
        const auto clip = result.value<GenerationResult>();
        const QString clipId = file(clip, what, id);
        if (clipId.isEmpty()) return;
        emit statusMessage(
            tr("Imported %1: %2 s, in the library.").arg(what).arg(clip.recipe.seconds, 0, 'f', 1));
        emit clipsAdded({clipId}, id);
        return;
    }
    const auto outcome = result.value<VariationsJob::Outcome>();
    QStringList ids;
    for (const GenerationResult& v : outcome.variations) {
        const Recipe& r = v.recipe;
        const QString name = r.restoredTo > r.restoredFrom
                                 ? tr("%1 · restored %2–%3 s")
                                       .arg(what)
                                       .arg(r.restoredFrom, 0, 'f', 1)
                                       .arg(r.restoredTo, 0, 'f', 1)
                                 : tr("%1 · variation %2").arg(what).arg(r.variation);
        const QString clipId = file(v, name, id);
        if (clipId.isEmpty()) return;
        ids << clipId;
    }
    emit statusMessage(outcome.cancelled
                           ? tr("Cancelled: %n finished variation(s) of %1 kept in the library.",
                                nullptr, int(ids.size()))
                                 .arg(what)
                           : tr("%n new clip(s) from %1 in the library, grouped for A/B.", nullptr,
                                int(ids.size()))
                                 .arg(what));
    if (!ids.isEmpty()) emit clipsAdded(ids, id);
}

void VariationsController::onFailed(JobId id, const QString& message) {
    if (!jobs_.contains(id)) return;
    forget(id);
    emit failed(message, id);
}

} // namespace moodsteer::widgets
