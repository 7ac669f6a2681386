// EmotionView: metrics for hand-computed points, the "needs 2 clips" rule, the scatter's data,
// the per-window timeline, and that a burst of points is coalesced into few repaints.
#include "TestMain.h"

#include "widgets/EmotionView.h"

#include <qcustomplot.h>

#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace moodsteer;
using namespace moodsteer::widgets;

class EmotionViewTest : public QObject {
    Q_OBJECT
  private slots:
    void fewerThanTwoPointsNeedTwoClips() {
        EmotionView view;
        QVERIFY(!view.metrics());
        QVERIFY(view.valenceText().contains("needs 2 clips"));
        view.addPoint("a", {3, 3}, {4, 4});
        view.flush();
        QVERIFY(!view.metrics());
        QVERIFY(view.valenceText().contains("needs 2 clips"));
        QVERIFY(view.arousalText().contains("needs 2 clips"));
    }

    void metricsOfKnownPoints() {
        // valence: target 3, 5, 7; predicted 4, 5, 8 (population statistics):
        //   mean t = 5, mean p = 17/3, var t = 8/3, var p = 26/9, cov = 8/3
        //   CCC = 2 (8/3) / (8/3 + 26/9 + (2/3)^2) = (16/3) / 6 = 8/9
        //   PCC = (8/3) / sqrt((8/3)(26/9)) = 0.960769...
        //   errors 1, 0, 1: RMSE = sqrt(2/3), mean 2/3, sigma = sqrt(2/9)
        // arousal: predicted == target: CCC = PCC = 1, RMSE = 0.
        EmotionView view;
        view.addPoint("a", {3, 2}, {4, 2});
        view.addPoint("b", {5, 6}, {5, 6});
        view.addPoint("c", {7, 8}, {8, 8});
        view.flush();
        const auto m = view.metrics();
        QVERIFY(m);
        QVERIFY(std::abs(m->valence.ccc - 8.0 / 9.0) < 1e-12);
        QVERIFY(std::abs(m->valence.pcc - (8.0 / 3.0) / std::sqrt(8.0 / 3.0 * 26.0 / 9.0)) < 1e-12);
        QVERIFY(std::abs(m->valence.rmse - std::sqrt(2.0 / 3.0)) < 1e-12);
        QVERIFY(std::abs(m->valence.errorMean - 2.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(m->valence.errorSigma - std::sqrt(2.0 / 9.0)) < 1e-12);
        QVERIFY(std::abs(m->arousal.ccc - 1.0) < 1e-12);
        QVERIFY(std::abs(m->arousal.rmse) < 1e-12);
        QVERIFY2(view.valenceText().contains("CCC 0.889"), qPrintable(view.valenceText()));
        QVERIFY(view.valenceText().contains("PCC 0.961"));
        QVERIFY(view.valenceText().contains("RMSE 0.816"));
        QVERIFY(view.valenceText().contains("σ 0.471"));
        QVERIFY(view.valenceText().contains("n = 3"));
        QVERIFY(view.arousalText().contains("CCC 1.000"));

        // The scatter holds the points: graph order per dimension is ideal, band low, band
        // high, points, highlight.
        QCustomPlot* plot = view.scatterPlot();
        QCOMPARE(plot->graphCount(), 10);
        QCPGraph* valencePoints = plot->graph(3);
        QCOMPARE(valencePoints->dataCount(), 3);
        QCOMPARE(valencePoints->data()->at(2)->key, 7.0);
        QCOMPARE(valencePoints->data()->at(2)->value, 8.0);
        QCPGraph* ideal = plot->graph(0);
        QCOMPARE(ideal->data()->at(0)->value, ideal->data()->at(0)->key); // y = x
        QCOMPARE(ideal->data()->at(1)->value, ideal->data()->at(1)->key);
        // The band is the ideal line shifted by mean error -+ sigma.
        QVERIFY(std::abs(plot->graph(2)->data()->at(0)->value -
                         (1.0 + 2.0 / 3.0 + std::sqrt(2.0 / 9.0))) < 1e-12);

        // Replacing a point by id, then clearing.
        view.addPoint("c", {7, 8}, {7, 8});
        view.flush();
        QCOMPARE(view.pointCount(), 3);
        QVERIFY(view.metrics()->valence.rmse < std::sqrt(2.0 / 3.0));
        view.highlight("b");
        view.flush();
        QCOMPARE(plot->graph(4)->dataCount(), 1);
        QCOMPARE(plot->graph(4)->data()->at(0)->key, 5.0);
        view.clear();
        view.flush();
        QCOMPARE(valencePoints->dataCount(), 0);
        QVERIFY(view.valenceText().contains("needs 2 clips"));
    }

    void burstOfPointsIsCoalesced() {
        EmotionView view;
        view.show();
        const int before = view.replotCount();
        for (int i = 0; i < 500; ++i)
            view.addPoint(QString::number(i), {1.0 + (i % 9), 5}, {1.0 + ((i + 1) % 9), 5});
        QCOMPARE(view.replotCount(), before); // nothing repainted synchronously
        QTest::qWait(3 * EmotionView::kRepaintIntervalMs + 20);
        // 500 additions: one rebuild (a second one at most if the timer raced the loop).
        QVERIFY(view.replotCount() - before >= 1);
        QVERIFY(view.replotCount() - before <= 2);
        QCOMPARE(view.scatterPlot()->graph(3)->dataCount(), 500);
        QCOMPARE(view.metrics()->valence.n, std::size_t(500));
        // Idle: no further repaints.
        const int settled = view.replotCount();
        QTest::qWait(3 * EmotionView::kRepaintIntervalMs);
        QCOMPARE(view.replotCount(), settled);
    }

    void timelineShowsTheWindows() {
        EmotionView view;
        QVERIFY(view.timelineTitle().contains("select a predicted clip"));
        std::vector<WindowPrediction> w{{0, 5, 6.0, 3.0}, {5, 10, 6.5, 3.5}, {10, 12.5, 7, 4}};
        view.showWindows("calm piano", w);
        QVERIFY(view.timelineTitle().contains("calm piano"));
        QVERIFY(view.timelineTitle().contains("3 windows of 5 s"));
        QCPGraph* valence = view.timelinePlot()->graph(0);
        QCPGraph* arousal = view.timelinePlot()->graph(1);
        QCOMPARE(valence->dataCount(), 3); // a point at each (possibly overlapping) window's centre
        QCOMPARE(valence->data()->at(1)->key, 7.5);
        QCOMPARE(valence->data()->at(1)->value, 6.5);
        QCOMPARE(valence->data()->at(2)->key, 11.25);
        QCOMPARE(arousal->data()->at(2)->value, 4.0);
        QCOMPARE(view.timelinePlot()->xAxis->range().upper, 12.5);
        view.showWindows("old clip", {});
        QCOMPARE(valence->dataCount(), 0);
        QVERIFY(view.timelineTitle().contains("none yet"));
    }

    void predictionShowsUncertaintyFlagsAndJudge() {
        EmotionView view;
        QVERIFY(view.judgeText().contains("no prediction yet"));
        ClipPrediction p;
        p.valence = 6.2;
        p.arousal = 3.1;
        p.valenceSd = 0.7;
        p.arousalSd = 0.9;
        p.head = "ridge head on dsp features; trained on musifeast17 (237 clips)";
        p.windows = {{0, 5, 6.0, 3.0, 0.6, 0.8, 0.2}, {2.5, 7.5, 6.4, 3.2, 0.8, 1.0, 0.3}};
        view.showPrediction("rainy day", p);
        QVERIFY(view.judgeText().contains("musifeast17"));
        QVERIFY(view.timelineTitle().contains("valence 6.20 ± 0.70"));
        QVERIFY(view.timelineTitle().contains("arousal 3.10 ± 0.90"));
        QVERIFY(!view.timelineTitle().contains("⚠"));
        auto* bars = qobject_cast<QCPErrorBars*>(view.timelinePlot()->plottable(1)); // valence bars
        QVERIFY(bars);
        QCOMPARE(bars->dataCount(), 2);
        QCOMPARE(bars->data()->at(1).errorPlus, 0.8); // valence sd of the second window

        // Out of distribution and a dimension the head cannot predict.
        p.outOfDistribution = true;
        p.flags = {kFlagOutOfDistribution};
        p.valencePredictable = false;
        view.showPrediction("sine", p);
        QVERIFY(view.timelineTitle().contains("out-of-distribution"));
        QVERIFY(view.timelineTitle().contains("valence: cannot predict this dimension"));
        QVERIFY(!view.timelineTitle().contains("6.20"));
        QCOMPARE(view.timelinePlot()->graph(0)->dataCount(), 0); // no valence line
        view.flush();
        QVERIFY(view.valenceText().contains("cannot predict this dimension"));
        QVERIFY(!view.arousalText().contains("cannot predict"));
    }

    void benchmarkClipsJoinTheScatter() {
        EmotionView view;
        view.setBenchmarkUnavailable("Emotion prediction is off: no head");
        QVERIFY(!view.benchmarkButton()->isEnabled());
        QCOMPARE(view.benchmarkButton()->toolTip(), QString("Emotion prediction is off: no head"));
        view.setBenchmarkUnavailable({});
        QVERIFY(view.benchmarkButton()->isEnabled());
        QSignalSpy requested(&view, &EmotionView::benchmarkRequested);
        view.setBenchmarkGrid(4);
        QTest::mouseClick(view.benchmarkButton(), Qt::LeftButton);
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested[0][0].toInt(), 4);
        view.setBenchmarkRunning(true);
        QVERIFY(!view.benchmarkButton()->isEnabled());
        EmotionBenchmarkClip ok;
        ok.target = {1, 9};
        ok.prediction = {2, 8};
        ok.predicted = true;
        EmotionBenchmarkClip failed;
        failed.error = "silent clip";
        view.addBenchmarkClip(1, 3, ok);
        view.addBenchmarkClip(2, 3, failed);
        QVERIFY(view.benchmarkStatus().contains("2 of 3"));
        QVERIFY(view.benchmarkStatus().contains("silent clip"));
        view.flush();
        QCOMPARE(view.pointCount(), 1); // the failed clip has no point
        QCOMPARE(view.scatterPlot()->graph(8)->data()->at(0)->value, 8.0); // arousal points
    }
};

MOODSTEER_QTEST_SUITE(EmotionViewTest);
#include "EmotionViewTest.moc"
