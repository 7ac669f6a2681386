// Generate button, progress with time left, and cancel. Shows the model state too, so the
// user always knows why Generate is (not) available.
#pragma once

#include "core/engine/MusicEngine.h"
#include "widgets/CoreMetaTypes.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace moodsteer::widgets {

class GeneratePanel : public QWidget {
    Q_OBJECT
  public:
    explicit GeneratePanel(QWidget* parent = nullptr);

    QPushButton* generateButton() const { return generate_; }
    QPushButton* cancelButton() const { return cancel_; }
    QString statusText() const;

    /// Generate is enabled when a model is loaded and nothing is running.
    void setModelReady(bool ready, const QString& status);
    /// While a model loads in the background: a busy bar and `status`; Generate is off.
    void setModelLoading(const QString& status);
    void setBusy(bool busy);
    bool isBusy() const { return busy_; }
    void setProgress(const GenerationProgress& progress);
    void setStatus(const QString& text);
    /// "12 s left", "1 min 05 s left".
    static QString timeLeft(double seconds);

  signals:
    void generateClicked();
    void cancelClicked();

  private:
    void updateEnabled();

    QPushButton* generate_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    bool ready_ = false;
    bool busy_ = false;
};

} // namespace moodsteer::widgets
