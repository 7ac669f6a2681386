#include "ScreenshotTour.h"

#include "MainWindow.h"

#include "widgets/AboutDialog.h"
#include "widgets/ClipLibraryPanel.h"
#include "widgets/EmotionView.h"
#include "widgets/ExploreLayersJob.h"
#include "widgets/ExportDialog.h"
#include "widgets/GeneratePanel.h"
#include "widgets/GenerationController.h"
#include "widgets/GenreSteeringPanel.h"
#include "widgets/LayerExplorerPanel.h"
#include "widgets/PredictEmotionJob.h"
#include "widgets/PromptPanel.h"
#include "widgets/SessionPanel.h"
#include "widgets/SettingsDialog.h"
#include "widgets/TransportPanel.h"
#include "widgets/VariationsDialog.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

namespace moodsteer::studio {

ScreenshotTour::ScreenshotTour(MainWindow* window, widgets::EngineClient* engine, QString folder,
                               QString generatePrompt, QString tag, int holdMs)
    : QObject(window), window_(window), engine_(engine), folder_(std::move(folder)),
      prompt_(std::move(generatePrompt)), tag_(std::move(tag)), holdMs_(holdMs) {
    QDir().mkpath(folder_);
    connect(engine_, &widgets::EngineClient::modelLoaded, this, [this] { onModelState(true); });
    connect(engine_, &widgets::EngineClient::modelLoadFailed, this,
            [this] { onModelState(false); });
    connect(engine_, &widgets::EngineClient::jobQueued, this,
            [this](const widgets::EngineJobInfo& job) {
                if (job.kind == widgets::PredictEmotionJob::kKind) predictions_.insert(job.id);
                if (job.kind == widgets::ExploreLayersJob::kKind) exploreJob_ = job.id;
            });
    connect(engine_, &widgets::EngineClient::jobFinished, this,
            [this](widgets::JobId id) { onJobEnded(id); });
    connect(engine_, &widgets::EngineClient::jobFailed, this,
            [this](widgets::JobId id) { onJobEnded(id); });
}

void ScreenshotTour::onJobEnded(widgets::JobId id) {
    if (predictions_.remove(id) && waitingForPrediction_) {
        waitingForPrediction_ = false;
        finishClips();
    } else if (id == exploreJob_ && exploreJob_ != 0) {
        exploreJob_ = 0;
        QTimer::singleShot(0, this, &ScreenshotTour::finishClips);
    }
}

void ScreenshotTour::onModelState(bool loaded) {
    if (started_) return;
    started_ = true;
    if (!loaded || prompt_.isEmpty()) {
        QTimer::singleShot(300, this, &ScreenshotTour::capture);
        return;
    }
    window_->promptPanel()->promptEdit()->setPlainText(prompt_);
    window_->promptPanel()->pad()->setTarget(7.2, 6.4);
    // Two clips with different targets, so that the emotion view has metrics to show.
    widgets::GenerationController* controller = window_->generationController();
    connect(controller, &widgets::GenerationController::clipAdded, this, [this] { afterClip(); });
    auto noClip = [this] {
        clips_ = 2; // no second try
        finishClips();
    };
    connect(controller, &widgets::GenerationController::ended, this, noClip);
    connect(controller, &widgets::GenerationController::failed, this, noClip);
    window_->generate();
}

void ScreenshotTour::afterClip() {
    ++clips_;
    if (engine_->emotionPredictorUnavailableReason().isEmpty()) {
        waitingForPrediction_ = true;            // finishClips() follows the prediction
        QTimer::singleShot(30000, this, [this] { // never hang on a lost prediction
            if (!waitingForPrediction_) return;
            waitingForPrediction_ = false;
            finishClips();
        });
    } else {
        QTimer::singleShot(0, this, &ScreenshotTour::finishClips);
    }
}

void ScreenshotTour::finishClips() {
    if (clips_ < 2) {
        window_->promptPanel()->pad()->setTarget(2.6, 3.1);
        window_->generate();
        return;
    }
    if (!explored_ && tag_ != "1920x1080") return exploreLayers();
    // Listen for a moment so the playhead, the level meter and the A/B state show.
    auto* player = window_->transportPanel()->player();
    if (player->hasDevice() && player->state() != AudioPlayer::State::Playing) player->play();
    QTimer::singleShot(1800, this, &ScreenshotTour::capture);
}

void ScreenshotTour::exploreLayers() {
    explored_ = true;
    auto* explorer = window_->explorerPanel();
    explorer->setWorkFolder(QDir::tempPath()); // the activation set is not a screenshot
    explorer->setGenerate(4);
    explorer->runButton()->click();
    if (!explorer->isRunning()) // refused (no model): capture without it
        QTimer::singleShot(0, this, &ScreenshotTour::finishClips);
}

void ScreenshotTour::saveDock(QWidget* widget, const QString& name) {
    window_->sideTabs()->setCurrentWidget(widget);
    QApplication::processEvents();
    save(widget, name);
}

void ScreenshotTour::save(QWidget* widget, const QString& name) {
    const QString path = QDir(folder_).filePath(name + ".png");
    if (!widget->grab().save(path)) std::fprintf(stderr, "cannot save %s\n", qPrintable(path));
}

void ScreenshotTour::capture() {
    const QString suffix = tag_.isEmpty() ? QString() : "-" + tag_;
    save(window_, "main" + suffix);
    if (tag_.isEmpty() || tag_ == "1280x800") {
        save(window_->promptPanel(), "panel-prompt-emotion");
        save(window_->generatePanel(), "panel-generate");
        save(window_->transportPanel(), "panel-transport");
        saveDock(window_->libraryPanel(), "panel-library");
        window_->emotionView()->flush();
        saveDock(window_->steeringPanel(), "panel-genre-steering");
        if (window_->explorerPanel()->report())
            saveDock(window_->explorerPanel(), "panel-layer-explorer");
        saveDock(window_->emotionView(), "panel-emotion-view");
        // The Session view with the calming preset and a prompt whose mood word contradicts
        // the path's agitated start: the note under the prompt says so.
        auto* session = window_->sessionPanel();
        session->presetBox()->setCurrentIndex(session->presetBox()->findData("calm"));
        session->applyPreset();
        session->promptEdit()->setText("calm ambient piece with piano");
        saveDock(session, "panel-session");
        const auto info = engine_->modelInfo();
        widgets::AboutDialog about(info ? QString::fromStdString(info->id) : QString(), window_);
        about.show();
        save(&about, "dialog-about");
        QStringList devices{tr("Default output")};
        for (const auto& d : window_->transportPanel()->player()->devices())
            devices << QString::fromStdString(d.name);
        widgets::SettingsDialog settings(window_->settings(), devices,
                                         engine_->embeddedModelFolder(), window_);
        settings.show();
        save(&settings, "dialog-settings");
        AudioBuffer silence;
        silence.samples.assign(3200, 0.0f);
        // A neutral folder name for the picture (the run's home is a temporary folder).
        widgets::ExportDialog exporter("/home/you/Music", "calm piano", silence, Recipe{}, window_);
        exporter.show();
        save(&exporter, "dialog-export");
        widgets::VariationsDialog variations("blue tune", window_);
        variations.show();
        save(&variations, "dialog-variations");
    }
    std::printf("SCREENSHOTS-READY\n");
    std::fflush(stdout);
    QTimer::singleShot(holdMs_, qApp, &QApplication::quit);
}

} // namespace moodsteer::studio
