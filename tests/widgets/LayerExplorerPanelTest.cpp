// LayerExplorerPanel: a report fills the ARI/NMI/accuracy plots (best layer marked) and the
// Jaccard heatmap, exports write CSV/JSON/PNG/PDF, and the controls describe the request.
#include "TestMain.h"

#include "widgets/LayerExplorerPanel.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace moodsteer::test {
/// Four layers, two labels clustered into two clusters at layer 2.
inline LayerAnalysisReport sampleLayerReport() {
    LayerAnalysisReport r;
    r.settings.modelId = "fake";
    r.settings.numLayers = 4;
    r.settings.labelNames = {"jazz", "rock"};
    r.numClips = 16;
    const double ari[] = {0.05, 0.40, 0.90, 0.60};
    const double nmi[] = {0.10, 0.45, 0.85, 0.65};
    const double acc[] = {0.55, 0.80, 0.95, 0.90};
    for (int l = 0; l < 4; ++l) {
        LayerMetrics m;
        m.layer = l;
        m.ari = ari[l];
        m.nmi = nmi[l];
        m.probeAccuracy = acc[l];
        m.confusion = {4, 0, 0, 4};
        r.layers.push_back(m);
    }
    r.bestLayerByAccuracy = 2;
    r.bestLayerByAri = 2;
    r.clustering.layer = 2;
    r.clustering.contingency.rowLabels = {0, 1};
    r.clustering.contingency.colLabels = {0, 1};
    r.clustering.contingency.counts = {7, 1, 0, 8};
    r.clustering.jaccard = {7.0 / 8.0, 1.0 / 16.0, 0.0, 8.0 / 9.0};
    for (int l = 0; l < 4; ++l) {
        LayerClustering c = r.clustering;
        c.layer = l;
        if (l != 2) { // weaker layers: the labels spread over both clusters
            c.contingency.counts = {4, 4, 4, 4};
            c.jaccard = {0.1 * (l + 1), 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0};
        }
        r.clusterings.push_back(c);
    }
    return r;
}
} // namespace moodsteer::test

class LayerExplorerPanelTest : public QObject {
    Q_OBJECT
  private slots:
    void reportFillsThePlots() {
        LayerExplorerPanel panel;
        QCOMPARE(panel.bestLayer(), -1);
        QSignalSpy best(&panel, &LayerExplorerPanel::bestLayerChanged);
        panel.setReport(test::sampleLayerReport());
        QCOMPARE(best.count(), 1);
        QCOMPARE(best[0][0].toInt(), 2);
        QCOMPARE(panel.bestLayer(), 2);
        QCustomPlot* plot = panel.metricsPlot();
        QCOMPARE(plot->graphCount(), 3);
        for (int g = 0; g < 3; ++g)
            QCOMPARE(plot->graph(g)->dataCount(), 4);
        QCOMPARE(plot->graph(0)->data()->at(2)->value, 0.90); // ARI
        QCOMPARE(plot->graph(1)->data()->at(3)->value, 0.65); // NMI
        QCOMPARE(plot->graph(2)->data()->at(1)->value, 0.80); // probe accuracy
        QCOMPARE(plot->graph(2)->data()->at(1)->key, 1.0);
        // The best layer is marked by a vertical line at x = 2.
        auto* line = qobject_cast<QCPItemStraightLine*>(plot->item(0));
        QVERIFY(line && line->visible());
        QCOMPARE(line->point1->coords().x(), 2.0);
        QCOMPARE(line->point2->coords().x(), 2.0);
        // Jaccard heatmap: x = cluster, y = label.
        QCPColorMapData* map = panel.jaccardMap()->data();
        QCOMPARE(map->keySize(), 2);
        QCOMPARE(map->valueSize(), 2);
        QCOMPARE(map->cell(0, 0), 7.0 / 8.0);
        QCOMPARE(map->cell(1, 0), 1.0 / 16.0);
        QCOMPARE(map->cell(1, 1), 8.0 / 9.0);
        QVERIFY(panel.statusText().contains("best layer 2"));
    }

    void jaccardFollowsTheChosenLayer() {
        LayerExplorerPanel panel;
        panel.resize(900, 700);
        panel.show();
        QCOMPARE(panel.jaccardLayer(), -1);
        QVERIFY(!panel.setJaccardLayer(0)); // no report yet
        panel.setReport(test::sampleLayerReport());
        QCOMPARE(panel.jaccardLayer(), 2); // the clustered layer first
        QComboBox* box = panel.jaccardLayerBox();
        QVERIFY(box->isEnabled());
        QCOMPARE(box->count(), 4);
        QCOMPARE(box->currentData().toInt(), 2);
        QCPColorMapData* map = panel.jaccardMap()->data();

        QVERIFY(panel.setJaccardLayer(0));
        QCOMPARE(map->cell(0, 0), 0.1);
        QCOMPARE(map->cell(1, 1), 1.0 / 3.0);
        QCOMPARE(box->currentData().toInt(), 0);
        QVERIFY(panel.jaccardPlot()->xAxis->label().contains("layer 0"));
        QVERIFY(!panel.setJaccardLayer(9)); // not analysed: the heatmap stays
        QCOMPARE(panel.jaccardLayer(), 0);

        // Choosing in the combo box, as a user does.
        box->setCurrentIndex(box->findData(3));
        emit box->activated(box->currentIndex());
        QCOMPARE(panel.jaccardLayer(), 3);
        QCOMPARE(map->cell(0, 0), 0.4);

        // A click on layer 1 of the metric plot shows layer 1.
        QCustomPlot* plot = panel.metricsPlot();
        plot->replot();
        const QPoint at(int(plot->xAxis->coordToPixel(1.0)), int(plot->yAxis->coordToPixel(0.5)));
        QTest::mouseClick(plot, Qt::LeftButton, {}, at);
        QCOMPARE(panel.jaccardLayer(), 1);
        QCOMPARE(map->cell(0, 0), 0.2);
    }

    void exportsWriteTheFiles() {
        QTemporaryDir dir;
        LayerExplorerPanel panel;
        panel.resize(600, 500);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, panel.exportCsv(dir.filePath("x.csv")));
        panel.setReport(test::sampleLayerReport());
        panel.exportCsv(dir.filePath("layers.csv"));
        panel.exportJson(dir.filePath("layers.json"));
        panel.exportPng(dir.filePath("layers.png"));
        panel.exportPdf(dir.filePath("layers.pdf"));
        QFile csv(dir.filePath("layers.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(csv.readAll());
        QVERIFY(text.startsWith("layer,ari,nmi,probe_accuracy"));
        QCOMPARE(text.trimmed().split('\n').size(), 5); // header + 4 layers
        for (const char* f : {"layers.json", "layers.png", "layers-jaccard.png", "layers.pdf",
                              "layers-jaccard.pdf"})
            QVERIFY2(QFileInfo(dir.filePath(f)).size() > 100, f);
        QFile png(dir.filePath("layers.png"));
        QVERIFY(png.open(QIODevice::ReadOnly));
        QCOMPARE(png.read(4), QByteArray("\x89PNG"));
        QVERIFY(!QFileInfo::exists(dir.filePath(".layers.png.part")));
    }

    void controlsDescribeTheRequest() {
        LayerExplorerPanel panel;
        panel.setWorkFolder("/data/studio");
        panel.setGenerate(12);
        LayerExplorerRequest r = panel.request();
        QVERIFY(r.folder.isEmpty());
        QCOMPARE(r.perLabel, 12);
        QCOMPARE(r.activationPath, QString("/data/studio/layer-explorer-activations.safetensors"));
        panel.setFolder("/clips/genres");
        QCOMPARE(panel.request().folder, QString("/clips/genres"));
        QSignalSpy run(&panel, &LayerExplorerPanel::runRequested);
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        QCOMPARE(run.count(), 1);
        panel.setRunning(true);
        QVERIFY(!panel.runButton()->isEnabled());
        panel.setProgress(3, 8, "Analysing layer 2");
        QVERIFY(panel.statusText().contains("3 of 8"));
        panel.setFailed("cancelled");
        QVERIFY(panel.runButton()->isEnabled());
        QVERIFY(panel.statusText().contains("cancelled"));
    }
};

MOODSTEER_QTEST_SUITE(LayerExplorerPanelTest);
#include "LayerExplorerPanelTest.moc"
