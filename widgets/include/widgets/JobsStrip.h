// The engine's queued and running jobs, one row each: what it is, its progress (fraction and
// time left, or its stage), and a Cancel button that cancels that job only. Hidden while the
// engine is idle. Follows the EngineClient's job signals; holds no job state of its own
// beyond the rows. Progress arrives once per decode step: it only marks the row, and a timer
// refreshes marked rows at most ~30 times a second.
//
// Threading: GUI thread.
#pragma once

#include "widgets/EngineClient.h"

#include <QHash>
#include <QSet>
#include <QTimer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;
class QVBoxLayout;

namespace moodsteer::widgets {

class JobsStrip : public QWidget {
    Q_OBJECT
  public:
    explicit JobsStrip(EngineClient* engine, QWidget* parent = nullptr);

    /// The jobs shown, top to bottom (the order they run in).
    QList<JobId> shownJobs() const;
    /// The row's widgets (null for a job not shown).
    QLabel* titleLabel(JobId id) const;
    QLabel* detailLabel(JobId id) const;
    QProgressBar* progressBar(JobId id) const;
    QToolButton* cancelButton(JobId id) const;

    /// "45 % · 12 s left", "Analysing layer 3 · 3 / 6", "queued", "running".
    static QString describe(const EngineJobInfo& job);

  private:
    struct Row {
        QWidget* widget = nullptr;
        QLabel* title = nullptr;
        QProgressBar* bar = nullptr;
        QLabel* detail = nullptr;
        QToolButton* cancel = nullptr;
    };
    void addRow(const EngineJobInfo& job);
    void updateRow(JobId id);
    void removeRow(JobId id);
    void refreshMarked();

    EngineClient* engine_;
    QVBoxLayout* rowsLayout_;
    QHash<JobId, Row> rows_;
    QList<JobId> order_;
    QSet<JobId> marked_; ///< rows with progress not shown yet
    QTimer refresh_;
};

} // namespace moodsteer::widgets
