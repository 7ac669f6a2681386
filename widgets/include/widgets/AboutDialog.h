// The About box: what MoodSteer is, versions of the parts it is built on, the loaded model.
#pragma once

#include <QDialog>

namespace moodsteer::widgets {

class AboutDialog : public QDialog {
    Q_OBJECT
  public:
    explicit AboutDialog(const QString& modelSummary, QWidget* parent = nullptr);
    static QString aboutHtml(const QString& modelSummary);
};

} // namespace moodsteer::widgets
