// The studio's EngineClient: owns the engine thread and its EngineWorker, hands each job to
// the worker by a queued call and turns the worker's signals into the client's job reports on
// the GUI thread. Never blocks the GUI (the destructor cancels every job and joins the
// thread, at exit only).
#pragma once

#include "widgets/EngineClient.h"

#include <QThread>

namespace moodsteer::studio {

class EngineWorker;

class ThreadedEngineClient : public widgets::EngineClient {
    Q_OBJECT
  public:
    explicit ThreadedEngineClient(QObject* parent = nullptr);
    ~ThreadedEngineClient() override;

    /// The default emotion head: resources/emotion/emotion_head_dsp.safetensors.
    static QString defaultEmotionHeadPath();

  protected:
    void enqueue(std::shared_ptr<widgets::EngineJob> job) override;

  private:
    QThread thread_;
    EngineWorker* worker_;
};

} // namespace moodsteer::studio
