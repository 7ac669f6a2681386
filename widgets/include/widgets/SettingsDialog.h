// Settings: model folder (embedded default or any MusicGen-layout folder), threads, audio
// output device and export folder. Validates a chosen model folder before accepting it.
#pragma once

#include "widgets/StudioSettings.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace moodsteer::widgets {

class SettingsDialog : public QDialog {
    Q_OBJECT
  public:
    /// `devices`: output device names to offer (first entry = default output).
    SettingsDialog(const StudioSettings& current, const QStringList& devices,
                   const QString& embeddedFolder, QWidget* parent = nullptr);

    StudioSettings settings() const;
    void setSettings(const StudioSettings& s);
    /// "" when `folder` looks like a model folder, else why not (missing config.json, ...).
    static QString checkModelFolder(const QString& folder);
    QString errorText() const;

  public slots:
    void accept() override;

  private:
    QRadioButton* embedded_;
    QRadioButton* custom_;
    QLineEdit* folder_;
    QSpinBox* threads_;
    QComboBox* device_;
    QLineEdit* output_;
    QLabel* error_;
};

} // namespace moodsteer::widgets
