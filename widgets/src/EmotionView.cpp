#include "widgets/EmotionView.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>

namespace moodsteer::widgets {

namespace {
const QColor kValenceColor(0x1f, 0x77, 0xb4);
const QColor kArousalColor(0xd6, 0x27, 0x28);

void styleAxes(QCPAxis* x, QCPAxis* y, double lo, double hi) {
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    for (QCPAxis* a : {x, y}) {
        a->setRange(lo, hi);
        a->setTicker(ticker);
    }
}

QString dimensionText(const QString& name, const std::optional<EmotionMetrics>& m, bool valence,
                      int points, bool predictable) {
    if (!predictable)
        return QObject::tr("%1: cannot predict this dimension (the judging head does not beat "
                           "its baselines on it)")
            .arg(name);
    if (!m) return QObject::tr("%1: needs 2 clips with a target (%2 so far)").arg(name).arg(points);
    const DimensionMetrics& d = valence ? m->valence : m->arousal;
    return QObject::tr("%1: CCC %2 · PCC %3 · RMSE %4 · error %5 ± σ %6  (n = %7)")
        .arg(name)
        .arg(d.ccc, 0, 'f', 3)
        .arg(d.pcc, 0, 'f', 3)
        .arg(d.rmse, 0, 'f', 3)
        .arg(d.errorMean, 0, 'f', 2)
        .arg(d.errorSigma, 0, 'f', 3)
        .arg(d.n);
}
} // namespace

EmotionView::EmotionView(QWidget* parent) : QWidget(parent) {
    scatter_ = new QCustomPlot;
    scatter_->plotLayout()->clear();
    const QString names[2] = {tr("valence"), tr("arousal")};
    const QColor colors[2] = {kValenceColor, kArousalColor};
    for (int d = 0; d < 2; ++d) {
        auto* rect = new QCPAxisRect(scatter_);
        scatter_->plotLayout()->addElement(0, d, rect);
        QCPAxis* x = rect->axis(QCPAxis::atBottom);
        QCPAxis* y = rect->axis(QCPAxis::atLeft);
        x->setLabel(tr("target %1").arg(names[d]));
        y->setLabel(tr("predicted %1").arg(names[d]));
        styleAxes(x, y, 0.5, 9.5);
        ideal_[d] = scatter_->addGraph(x, y);
        ideal_[d]->setPen(QPen(QColor(90, 90, 90), 1.2));
        ideal_[d]->setData({1.0, 9.0}, {1.0, 9.0});
        // The error's mean +- sigma around the ideal line (shown from 2 points on).
        for (QCPGraph** g : {&bandLow_[d], &bandHigh_[d]}) {
            *g = scatter_->addGraph(x, y);
            (*g)->setPen(QPen(colors[d].lighter(150), 1.0, Qt::DashLine));
        }
        scatterGraph_[d] = scatter_->addGraph(x, y);
        scatterGraph_[d]->setLineStyle(QCPGraph::lsNone);
        scatterGraph_[d]->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssDisc, colors[d], colors[d], 7));
        highlightGraph_[d] = scatter_->addGraph(x, y);
        highlightGraph_[d]->setLineStyle(QCPGraph::lsNone);
        highlightGraph_[d]->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(Qt::black, 2), Qt::NoBrush, 14));
    }
    scatter_->setMinimumHeight(220);
    scatter_->setToolTip(tr("Predicted vs target emotion of every clip generated with a target; "
                            "the grey line is perfect agreement, dashed lines the mean error "
                            "± σ."));

    timeline_ = new QCustomPlot;
    for (int d = 0; d < 2; ++d) {
        QCPGraph* g = timeline_->addGraph();
        g->setName(names[d]);
        g->setPen(QPen(colors[d], 2));
        g->setLineStyle(QCPGraph::lsLine); // windows overlap: one point at each window's centre
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colors[d], colors[d], 5));
        timelineErrors_[d] = new QCPErrorBars(timeline_->xAxis, timeline_->yAxis);
        timelineErrors_[d]->removeFromLegend();
        timelineErrors_[d]->setDataPlottable(g);
        timelineErrors_[d]->setPen(QPen(colors[d].lighter(140), 1));
    }
    timeline_->xAxis->setLabel(tr("time (s)"));
    timeline_->yAxis->setLabel(tr("predicted"));
    timeline_->yAxis->setRange(0.5, 9.5);
    timeline_->xAxis->setRange(0, 10);
    timeline_->legend->setVisible(true);
    timeline_->legend->setFont(QFont(font().family(), 8));
    timeline_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    timeline_->setMinimumHeight(130);
    timeline_->setToolTip(tr("The selected clip's prediction per window"));

    valenceLabel_ = new QLabel;
    arousalLabel_ = new QLabel;
    timelineLabel_ = new QLabel;
    judgeLabel_ = new QLabel(tr("Judged by: no prediction yet"));
    alignmentLabel_ = new QLabel;
    judgeLabel_->setStyleSheet("color: palette(mid)");
    for (QLabel* l : {valenceLabel_, arousalLabel_, timelineLabel_, judgeLabel_, alignmentLabel_}) {
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        l->setWordWrap(true); // the dock may be narrow: wrap instead of widening the window
    }
    valenceLabel_->setStyleSheet(QString("color: %1").arg(kValenceColor.name()));
    arousalLabel_->setStyleSheet(QString("color: %1").arg(kArousalColor.name()));

    grid_ = new QSpinBox;
    grid_->setRange(2, 9);
    grid_->setValue(3);
    grid_->setPrefix(tr("grid "));
    grid_->setToolTip(tr("Targets per dimension: n × n points evenly over 1..9"));
    benchmark_ = new QPushButton(tr("Benchmark VA grid"));
    benchmark_->setToolTip(tr("Generates one clip per grid target with the current model and "
                              "adds its predicted emotion to the scatter"));
    cancelBenchmark_ = new QPushButton(tr("Cancel"));
    cancelBenchmark_->setEnabled(false);
    benchmarkStatus_ = new QLabel;
    benchmarkStatus_->setWordWrap(true);
    auto* benchRow = new QHBoxLayout;
    benchRow->addWidget(grid_);
    benchRow->addWidget(benchmark_);
    benchRow->addWidget(cancelBenchmark_);
    benchRow->addStretch();
    connect(benchmark_, &QPushButton::clicked, this,
            [this] { emit benchmarkRequested(grid_->value()); });
    connect(cancelBenchmark_, &QPushButton::clicked, this, &EmotionView::benchmarkCancelRequested);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(benchRow);
    layout->addWidget(benchmarkStatus_);
    layout->addWidget(scatter_, 3);
    layout->addWidget(valenceLabel_);
    layout->addWidget(arousalLabel_);
    layout->addWidget(judgeLabel_);
    layout->addWidget(alignmentLabel_);
    layout->addWidget(timelineLabel_);
    layout->addWidget(timeline_, 2);

    timer_.setSingleShot(true);
    timer_.setInterval(kRepaintIntervalMs);
    connect(&timer_, &QTimer::timeout, this, &EmotionView::rebuild);
    showWindows({}, {});
    rebuild();
}

void EmotionView::setBenchmarkUnavailable(const QString& reason) {
    benchmarkUnavailable_ = reason;
    benchmark_->setToolTip(reason.isEmpty() ? tr("Generates one clip per grid target with the "
                                                 "current model and adds its predicted "
                                                 "emotion to the scatter")
                                            : reason);
    setBenchmarkRunning(benchmarkRunning_);
}

void EmotionView::setBenchmarkRunning(bool running) {
    benchmarkRunning_ = running;
    benchmark_->setEnabled(!running && benchmarkUnavailable_.isEmpty());
    grid_->setEnabled(!running);
    cancelBenchmark_->setEnabled(running);
}

void EmotionView::addBenchmarkClip(int done, int total, const EmotionBenchmarkClip& clip) {
    if (clip.predicted) addPoint(QString("grid %1").arg(done), clip.target, clip.prediction);
    setBenchmarkStatus(
        tr("Benchmark: %1 of %2 clips%3")
            .arg(done)
            .arg(total)
            .arg(clip.predicted
                     ? QString()
                     : tr(" (last failed: %1)").arg(QString::fromStdString(clip.error))));
}

void EmotionView::setBenchmarkStatus(const QString& text) {
    benchmarkStatus_->setText(text);
}

QString EmotionView::benchmarkStatus() const {
    return benchmarkStatus_->text();
}

int EmotionView::benchmarkGrid() const {
    return grid_->value();
}

void EmotionView::setBenchmarkGrid(int n) {
    grid_->setValue(n);
}

void EmotionView::addPoint(const QString& id, VaPoint target, VaPoint predicted) {
    auto it = std::find_if(points_.begin(), points_.end(),
                           [&](const Point& p) { return !id.isEmpty() && p.id == id; });
    if (it != points_.end()) {
        it->target = target;
        it->predicted = predicted;
    } else {
        points_.push_back({id, target, predicted});
    }
    scheduleReplot();
}

void EmotionView::clear() {
    points_.clear();
    scheduleReplot();
}

void EmotionView::highlight(const QString& id) {
    if (id == highlighted_) return;
    highlighted_ = id;
    scheduleReplot();
}

std::optional<EmotionMetrics> EmotionView::metrics() const {
    if (points_.size() < 2) return std::nullopt;
    std::vector<VaPoint> t, p;
    for (const Point& pt : points_) {
        t.push_back(pt.target);
        p.push_back(pt.predicted);
    }
    try {
        return computeEmotionMetrics(t, p);
    } catch (const std::exception&) {
        return std::nullopt; // non-finite values: nothing sensible to show
    }
}

QString EmotionView::valenceText() const {
    return valenceLabel_->text();
}
QString EmotionView::arousalText() const {
    return arousalLabel_->text();
}
QString EmotionView::timelineTitle() const {
    return timelineLabel_->text();
}

void EmotionView::scheduleReplot() {
    dirty_ = true;
    if (!timer_.isActive()) timer_.start();
}

void EmotionView::flush() {
    if (dirty_) {
        timer_.stop();
        rebuild();
    }
}

void EmotionView::rebuild() {
    dirty_ = false;
    ++replots_;
    const auto m = metrics();
    for (int d = 0; d < 2; ++d) {
        QVector<double> x, y, hx, hy;
        for (const Point& p : points_) {
            const double t = d == 0 ? p.target.valence : p.target.arousal;
            const double v = d == 0 ? p.predicted.valence : p.predicted.arousal;
            x << t;
            y << v;
            if (!highlighted_.isEmpty() && p.id == highlighted_) {
                hx << t;
                hy << v;
            }
        }
        scatterGraph_[d]->setData(x, y);
        highlightGraph_[d]->setData(hx, hy);
        if (m) {
            const DimensionMetrics& dm = d == 0 ? m->valence : m->arousal;
            const double lo = dm.errorMean - dm.errorSigma, hi = dm.errorMean + dm.errorSigma;
            bandLow_[d]->setData({1.0, 9.0}, {1.0 + lo, 9.0 + lo});
            bandHigh_[d]->setData({1.0, 9.0}, {1.0 + hi, 9.0 + hi});
        } else {
            bandLow_[d]->data()->clear();
            bandHigh_[d]->data()->clear();
        }
    }
    valenceLabel_->setText(dimensionText(tr("Valence"), m, true, pointCount(), predictable_[0]));
    arousalLabel_->setText(dimensionText(tr("Arousal"), m, false, pointCount(), predictable_[1]));
    scatter_->replot();
}

void EmotionView::setJudge(const QString& head, bool valencePredictable, bool arousalPredictable) {
    judgeLabel_->setText(tr("Judged by: %1").arg(head.isEmpty() ? tr("unknown head") : head));
    judgeLabel_->setToolTip(judgeLabel_->text());
    if (predictable_[0] != valencePredictable || predictable_[1] != arousalPredictable) {
        predictable_[0] = valencePredictable;
        predictable_[1] = arousalPredictable;
        scheduleReplot();
    }
}

QString EmotionView::judgeText() const {
    return judgeLabel_->text();
}

void EmotionView::drawTimeline(const std::vector<WindowPrediction>& windows, bool withErrors) {
    for (int d = 0; d < 2; ++d) {
        QVector<double> x, y, err;
        if (predictable_[d])
            for (const WindowPrediction& w : windows) {
                x << 0.5 * (w.startSeconds + w.endSeconds);
                y << (d == 0 ? w.valence : w.arousal);
                err << (withErrors ? (d == 0 ? w.valenceSd : w.arousalSd) : 0.0);
            }
        timeline_->graph(d)->setData(x, y);
        timelineErrors_[d]->setData(err);
        timelineErrors_[d]->setVisible(withErrors);
    }
    timeline_->xAxis->setRange(0, windows.empty() ? 10 : std::max(1e-3, windows.back().endSeconds));
    timeline_->replot();
}

void EmotionView::showWindows(const QString& name, const std::vector<WindowPrediction>& windows) {
    drawTimeline(windows, false);
    if (windows.empty()) {
        timelineLabel_->setText(name.isEmpty()
                                    ? tr("Per-window predictions: select a predicted clip")
                                    : tr("Per-window predictions of “%1”: none yet").arg(name));
    } else {
        timelineLabel_->setText(
            tr("Per-window predictions of “%1” (%2 windows of %3 s)")
                .arg(name)
                .arg(windows.size())
                .arg(windows.front().endSeconds - windows.front().startSeconds, 0, 'g', 3));
    }
}

void EmotionView::showPrediction(const QString& name, const ClipPrediction& p) {
    setJudge(QString::fromStdString(p.head), p.valencePredictable, p.arousalPredictable);
    drawTimeline(p.windows, true);
    auto dim = [&](const QString& label, bool ok, double v, double sd) {
        return ok ? tr("%1 %2 ± %3").arg(label).arg(v, 0, 'f', 2).arg(sd, 0, 'f', 2)
                  : tr("%1: cannot predict this dimension").arg(label);
    };
    QString text = tr("“%1”: %2, %3")
                       .arg(name)
                       .arg(dim(tr("valence"), p.valencePredictable, p.valence, p.valenceSd))
                       .arg(dim(tr("arousal"), p.arousalPredictable, p.arousal, p.arousalSd));
    if (!p.windows.empty())
        text += tr(" · %1 windows of %2 s, error bars ±1 σ")
                    .arg(p.windows.size())
                    .arg(p.windows.front().endSeconds - p.windows.front().startSeconds, 0, 'g', 3);
    QStringList flags;
    for (const auto& f : p.flags)
        flags << QString::fromStdString(f);
    if (!flags.isEmpty())
        text += tr(" · ⚠ %1%2")
                    .arg(flags.join(", "))
                    .arg(p.outOfDistribution ? tr(" (unlike anything the head was trained on: "
                                                  "do not trust these numbers)")
                                             : QString());
    timelineLabel_->setText(text);
}

void EmotionView::setAlignment(std::optional<double> score, const QString& note) {
    if (score)
        alignmentLabel_->setText(tr("Matches its prompt: %1 (text-audio alignment, cosine -1..1)")
                                     .arg(*score, 0, 'f', 2));
    else
        alignmentLabel_->setText(note);
}

QString EmotionView::alignmentText() const {
    return alignmentLabel_->text();
}

} // namespace moodsteer::widgets
