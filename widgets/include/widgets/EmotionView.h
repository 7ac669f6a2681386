// The emotion view: predicted vs target valence and arousal (one scatter per dimension, with
// the ideal line y = x and the error's mean +- sigma band, as in LARA-Gen's figure), the
// per-dimension CCC / PCC / RMSE / sigma of every clip that had a target, and the selected
// clip's per-window predictions as a small timeline.
//
// Clips can arrive quickly (a benchmark, a library load): adding a point only marks the view
// dirty; the plots and metrics are rebuilt at most once per kRepaintIntervalMs.
#pragma once

#include "core/emotion/EmotionBenchmark.h"
#include "core/emotion/EmotionMetrics.h"
#include "core/emotion/EmotionPredictor.h"

#include <QString>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include <optional>
#include <vector>

class QCustomPlot;
class QPushButton;
class QSpinBox;
class QCPGraph;
class QCPErrorBars;
class QLabel;

namespace moodsteer::widgets {

class EmotionView : public QWidget {
    Q_OBJECT
  public:
    /// ~30 repaints per second at most.
    static constexpr int kRepaintIntervalMs = 33;

    explicit EmotionView(QWidget* parent = nullptr);

    /// Adds (or, for a known id, replaces) one clip's target and prediction.
    void addPoint(const QString& id, VaPoint target, VaPoint predicted);
    void clear();
    int pointCount() const { return static_cast<int>(points_.size()); }
    /// Metrics over every point; nullopt with fewer than 2 points.
    std::optional<EmotionMetrics> metrics() const;

    /// The timeline: `windows` of the clip called `name` (empty: the timeline is cleared).
    void showWindows(const QString& name, const std::vector<WindowPrediction>& windows);
    /// The timeline with error bars (one sd), the clip's value +- sd, its flags, and which
    /// head judged; a dimension the head cannot predict shows no number.
    void showPrediction(const QString& name, const ClipPrediction& prediction);
    /// Which head judges (ClipPrediction::head) and which dimensions it can predict: the
    /// scatter's metric lines say "cannot predict" instead of a number for the others.
    void setJudge(const QString& head, bool valencePredictable, bool arousalPredictable);
    QString judgeText() const;
    /// How well the selected clip matches its prompt by the text-audio alignment model (cosine,
    /// -1..1): `score` empty shows `note` instead ("scoring…", why it is unavailable, or
    /// nothing for no clip).
    void setAlignment(std::optional<double> score, const QString& note = {});
    QString alignmentText() const;
    /// Marks one clip's point (id "" or unknown: none).
    void highlight(const QString& id);

    /// The metric lines as shown ("needs 2 clips" with fewer than 2 points).
    QString valenceText() const;
    QString arousalText() const;
    QString timelineTitle() const;

    QCustomPlot* scatterPlot() const { return scatter_; }
    QCustomPlot* timelinePlot() const { return timeline_; }
    /// Number of rebuilds of the scatter so far (coalescing is observable in tests).
    int replotCount() const { return replots_; }
    /// Rebuilds now if a repaint is pending (tests; also before a screenshot).
    void flush();

    QSize sizeHint() const override { return {520, 520}; }

    // ---- Benchmark over a valence-arousal grid (core/emotion/EmotionBenchmark.h)
    // -----------------
    /// "" enables the benchmark button; otherwise it is disabled with `reason` as tooltip.
    void setBenchmarkUnavailable(const QString& reason);
    void setBenchmarkRunning(bool running);
    /// One benchmark clip: its point joins the scatter when it was predicted.
    void addBenchmarkClip(int done, int total, const EmotionBenchmarkClip& clip);
    void setBenchmarkStatus(const QString& text);
    QString benchmarkStatus() const;
    /// Grid points per dimension (n x n targets evenly over 1..9).
    int benchmarkGrid() const;
    void setBenchmarkGrid(int n);
    QPushButton* benchmarkButton() const { return benchmark_; }

  signals:
    void benchmarkRequested(int gridPerDimension);
    void benchmarkCancelRequested();

  private:
    struct Point {
        QString id;
        VaPoint target, predicted;
    };
    void scheduleReplot();
    void rebuild();
    void drawTimeline(const std::vector<WindowPrediction>& windows, bool withErrors);

    std::vector<Point> points_;
    QString highlighted_;
    QCustomPlot* scatter_;
    QCustomPlot* timeline_;
    QCPGraph* scatterGraph_[2]{};
    QCPGraph* highlightGraph_[2]{};
    QCPGraph* ideal_[2]{};
    QCPGraph* bandLow_[2]{};
    QCPGraph* bandHigh_[2]{};
    QLabel* valenceLabel_;
    QLabel* arousalLabel_;
    QLabel* timelineLabel_;
    QLabel* judgeLabel_;
    QLabel* alignmentLabel_;
    QCPErrorBars* timelineErrors_[2]{};
    bool predictable_[2]{true, true};
    QSpinBox* grid_;
    QPushButton* benchmark_;
    QPushButton* cancelBenchmark_;
    QLabel* benchmarkStatus_;
    bool benchmarkRunning_ = false;
    QString benchmarkUnavailable_;
    QTimer timer_;
    bool dirty_ = false;
    int replots_ = 0;
};

} // namespace moodsteer::widgets
