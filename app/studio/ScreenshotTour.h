// --screenshots DIR: once the model has loaded (or failed) and an optional first clip is
// generated, saves the main window, each panel and each dialog as PNGs via QWidget::grab,
// prints "SCREENSHOTS-READY" (so a script can also capture the X window) and quits.
#pragma once

#include "widgets/EngineJob.h"

#include <QObject>
#include <QSet>
#include <QString>

namespace moodsteer::widgets {
class EngineClient;
}

namespace moodsteer::studio {

class MainWindow;

class ScreenshotTour : public QObject {
    Q_OBJECT
  public:
    ScreenshotTour(MainWindow* window, widgets::EngineClient* engine, QString folder,
                   QString generatePrompt, QString tag, int holdMs);

  private:
    void onModelState(bool loaded);
    void capture();
    void save(QWidget* widget, const QString& name);
    /// Shows the side tab holding `widget` before grabbing it.
    void saveDock(QWidget* widget, const QString& name);
    /// After a clip: waits for its predicted emotion (when the predictor is installed).
    void afterClip();
    void finishClips();
    /// Runs the layer explorer on a few generated clips per genre, then plays and captures.
    void exploreLayers();
    /// A prediction or the exploration ended (finished or failed).
    void onJobEnded(widgets::JobId id);

    MainWindow* window_;
    widgets::EngineClient* engine_;
    QString folder_;
    QString prompt_;
    QString tag_;
    int holdMs_;
    bool started_ = false;
    int clips_ = 0;
    bool waitingForPrediction_ = false;
    bool explored_ = false;
    QSet<widgets::JobId> predictions_;
    widgets::JobId exploreJob_ = 0;
};

} // namespace moodsteer::studio
