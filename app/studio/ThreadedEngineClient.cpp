#include "ThreadedEngineClient.h"

#include "EngineWorker.h"

#include "core/emotion/DefaultEmotionHead.h"

namespace moodsteer::studio {

ThreadedEngineClient::ThreadedEngineClient(QObject* parent) : EngineClient(parent) {
    widgets::registerEngineMetaTypes();
    thread_.setObjectName("engine");
    worker_ = new EngineWorker;
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    // Engine thread -> GUI (queued because this object lives on the GUI thread).
    connect(worker_, &EngineWorker::started, this, &ThreadedEngineClient::reportStarted);
    connect(worker_, &EngineWorker::progressed, this, &ThreadedEngineClient::reportProgress);
    connect(worker_, &EngineWorker::audioReady, this, &ThreadedEngineClient::reportAudio);
    connect(worker_, &EngineWorker::partialReady, this, &ThreadedEngineClient::reportPartial);
    connect(worker_, &EngineWorker::finished, this, &ThreadedEngineClient::reportFinished);
    connect(worker_, &EngineWorker::failed, this, &ThreadedEngineClient::reportFailed);
    thread_.start();
}

ThreadedEngineClient::~ThreadedEngineClient() {
    cancelAll();
    thread_.quit(); // the running job stops at its next cancel check; queued calls are dropped
    thread_.wait();
}

void ThreadedEngineClient::enqueue(std::shared_ptr<widgets::EngineJob> job) {
    // GUI -> engine thread: the call waits in the thread's event queue behind earlier jobs.
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, job = std::move(job)] { worker->run(job); },
        Qt::QueuedConnection);
}

QString ThreadedEngineClient::defaultEmotionHeadPath() {
    return QString::fromStdString(moodsteer::defaultEmotionHeadPath());
}

} // namespace moodsteer::studio
