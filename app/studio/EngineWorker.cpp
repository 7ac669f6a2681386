#include "EngineWorker.h"

#include <QThread>

#include <exception>

namespace moodsteer::studio {

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {}

EngineWorker::~EngineWorker() = default;

void EngineWorker::run(const std::shared_ptr<widgets::EngineJob>& job) {
    Q_ASSERT(QThread::currentThread() == thread()); // the engine thread
    if (!job->tryStart()) {
        emit failed(job->id(), tr("Cancelled before it started."));
        return;
    }
    current_ = job->id();
    emit started(current_);
    try {
        emit finished(current_, job->run(context_, *this));
    } catch (const std::exception& e) {
        emit failed(current_, QString::fromUtf8(e.what()));
    }
    current_ = 0;
}

} // namespace moodsteer::studio
