#include "widgets/EngineClient.h"

#include "widgets/AlignmentScoreJob.h"
#include "widgets/EmotionGridBenchmarkJob.h"
#include "widgets/GenerateJob.h"
#include "widgets/LoadModelJob.h"
#include "widgets/PredictEmotionJob.h"
#include "widgets/UnloadModelJob.h"

#include "core/alignment/AlignmentModel.h"
#include "core/emotion/DefaultEmotionHead.h"

#include <QThread>

namespace moodsteer::widgets {

void registerEngineMetaTypes() {
    qRegisterMetaType<moodsteer::Recipe>();
    qRegisterMetaType<moodsteer::ModelInfo>();
    qRegisterMetaType<moodsteer::GenerationProgress>();
    qRegisterMetaType<moodsteer::GenerationResult>();
    qRegisterMetaType<moodsteer::AudioBuffer>();
    qRegisterMetaType<moodsteer::ClipPrediction>();
    qRegisterMetaType<moodsteer::LayerAnalysisReport>();
    qRegisterMetaType<moodsteer::EmotionBenchmarkOptions>();
    qRegisterMetaType<moodsteer::EmotionBenchmarkClip>();
    qRegisterMetaType<moodsteer::EmotionBenchmarkReport>();
    qRegisterMetaType<LayerExplorerRequest>();
    qRegisterMetaType<JobId>("moodsteer::widgets::JobId");
    qRegisterMetaType<JobProgress>();
    qRegisterMetaType<EngineJobInfo>();
    qRegisterMetaType<EmotionGridBenchmarkJob::Step>();
    qRegisterMetaType<QVector<float>>();
    qRegisterMetaType<LoadModelJob::Loaded>();
}

EngineClient::EngineClient(QObject* parent) : QObject(parent) {}

EngineClient::~EngineClient() = default;

JobId EngineClient::submit(std::shared_ptr<EngineJob> job) {
    Q_ASSERT(QThread::currentThread() == thread());
    job->setId(nextId_++);
    Entry entry{job, {}};
    entry.info.id = job->id();
    entry.info.kind = job->kind();
    entry.info.title = job->title();
    jobs_.append(entry);
    emit jobQueued(entry.info);
    if (jobs_.size() == 1) emit busyChanged(true);
    enqueue(std::move(job));
    return entry.info.id;
}

bool EngineClient::cancel(JobId id) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int i = indexOf(id);
    if (i < 0) return false;
    Entry& e = jobs_[i];
    if (e.job->tryCancelQueued()) {
        const QString kind = remove(i);
        if (kind == LoadModelJob::kKind || kind == UnloadModelJob::kKind) {
            info_ = loadedInfo_; // the model in the engine is still the one before
            if (info_) emit modelLoaded(*info_);
        }
        emit jobFailed(id, tr("Cancelled before it started."));
        return true;
    }
    e.job->requestCancel();
    e.info.cancelRequested = true;
    return true;
}

void EngineClient::cancelAll() {
    const QList<Entry> all = jobs_; // cancel() edits the list
    for (const Entry& e : all)
        cancel(e.info.id);
}

QList<EngineJobInfo> EngineClient::jobs() const {
    QList<EngineJobInfo> out;
    out.reserve(jobs_.size());
    for (const Entry& e : jobs_)
        out.append(e.info);
    return out;
}

std::optional<EngineJobInfo> EngineClient::job(JobId id) const {
    const int i = indexOf(id);
    if (i < 0) return std::nullopt;
    return jobs_[i].info;
}

bool EngineClient::hasJob(const QString& kind) const {
    for (const Entry& e : jobs_)
        if (e.info.kind == kind) return true;
    return false;
}

JobId EngineClient::loadModel(const QString& folder, int threads, const QString& precision) {
    info_.reset();
    emit modelLoadStarted(folder);
    return submit(std::make_shared<LoadModelJob>(folder, threads, precision));
}

JobId EngineClient::unloadModel() {
    info_.reset();
    return submit(std::make_shared<UnloadModelJob>());
}

JobId EngineClient::generate(const Recipe& recipe) {
    return submit(std::make_shared<GenerateJob>(recipe));
}

JobId EngineClient::predictEmotion(const QString& clipId, const AudioBuffer& audio) {
    return submit(std::make_shared<PredictEmotionJob>(clipId, audio, emotionHeadPath()));
}

JobId EngineClient::scoreAlignment(const QString& clipId, const AudioBuffer& audio,
                                   const QString& prompt) {
    return submit(std::make_shared<AlignmentScoreJob>(clipId, audio, prompt, alignmentModelPath()));
}

QString EngineClient::alignmentModelPath() const {
    return QString::fromStdString(AlignmentModel::defaultPath());
}

QString EngineClient::alignmentUnavailableReason() const {
    return AlignmentScoreJob::unavailableReason(alignmentModelPath());
}

JobId EngineClient::exploreLayers(const LayerExplorerRequest& request) {
    return submit(std::make_shared<ExploreLayersJob>(request));
}

JobId EngineClient::runEmotionBenchmark(const EmotionBenchmarkOptions& options) {
    return submit(std::make_shared<EmotionGridBenchmarkJob>(options, emotionHeadPath()));
}

QString EngineClient::embeddedModelFolder() const {
    return QString::fromStdString(MusicEngine::embeddedModelFolder());
}

QString EngineClient::emotionHeadPath() const {
    // An installed MERT head when its MERT model is present, else the embedded head.
    if (!emotionHead_) emotionHead_ = QString::fromStdString(moodsteer::preferredEmotionHeadPath());
    return *emotionHead_;
}

QString EngineClient::emotionPredictorUnavailableReason() const {
    return PredictEmotionJob::unavailableReason(emotionHeadPath());
}

int EngineClient::indexOf(JobId id) const {
    for (int i = 0; i < jobs_.size(); ++i)
        if (jobs_[i].info.id == id) return i;
    return -1;
}

QString EngineClient::remove(int index) {
    const QString kind = jobs_[index].info.kind;
    jobs_.removeAt(index);
    if (jobs_.isEmpty()) emit busyChanged(false);
    return kind;
}

void EngineClient::reportStarted(JobId id) {
    const int i = indexOf(id);
    if (i < 0) return;
    jobs_[i].info.state = EngineJobInfo::State::Running;
    emit jobStarted(id);
}

void EngineClient::reportProgress(JobId id, const JobProgress& progress) {
    const int i = indexOf(id);
    if (i < 0) return;
    jobs_[i].info.progress = progress;
    emit jobProgress(id, progress);
}

void EngineClient::reportAudio(JobId id, const QVector<float>& samples, int sampleRate) {
    if (indexOf(id) >= 0) emit jobAudio(id, samples, sampleRate);
}

void EngineClient::reportPartial(JobId id, const QVariant& value) {
    if (indexOf(id) >= 0) emit jobPartial(id, value);
}

void EngineClient::reportFinished(JobId id, const QVariant& result) {
    const int i = indexOf(id);
    if (i < 0) return;
    const QString kind = remove(i);
    if (kind == LoadModelJob::kKind) {
        // A plain ModelInfo is accepted too (engines that know no provenance).
        LoadModelJob::Loaded loaded;
        if (result.metaType() == QMetaType::fromType<LoadModelJob::Loaded>())
            loaded = result.value<LoadModelJob::Loaded>();
        else
            loaded.info = result.value<ModelInfo>();
        loaded_ = loaded;
        info_ = loadedInfo_ = loaded.info;
        emit modelLoaded(*info_);
    } else if (kind == UnloadModelJob::kKind) {
        info_.reset();
        loadedInfo_.reset();
        loaded_.reset();
        emit modelUnloaded(result.toDouble());
    }
    emit jobFinished(id, result);
}

void EngineClient::reportFailed(JobId id, const QString& message) {
    const int i = indexOf(id);
    if (i < 0) return;
    const QString kind = remove(i);
    if (kind == LoadModelJob::kKind) {
        info_.reset(); // the old model was freed before the load
        loadedInfo_.reset();
        loaded_.reset();
        emit modelLoadFailed(message);
    } else if (kind == UnloadModelJob::kKind) {
        info_ = loadedInfo_; // nothing was freed
    }
    emit jobFailed(id, message);
}

} // namespace moodsteer::widgets
