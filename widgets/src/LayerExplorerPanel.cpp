#include "widgets/LayerExplorerPanel.h"

#include "core/io/AtomicWrite.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMouseEvent>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace moodsteer::widgets {

namespace {
/// QCustomPlot writes in place: each plot is staged under a unique temporary name of ours
/// (core/io/AtomicWrite.h) and both are renamed together, so a failed export never leaves half a
/// file, or one plot of the pair, under the chosen names.
void stagePlot(WriteTransaction& t, const QString& path,
               const std::function<bool(const QString&)>& save) {
    t.stage(path.toStdString(), [&](const std::string& tmp) {
        if (!save(QFile::decodeName(tmp.c_str())))
            throw std::runtime_error("cannot write " + path.toStdString());
    });
}

/// "plot.png" -> "plot-jaccard.png".
QString jaccardPath(const QString& path) {
    const QFileInfo info(path);
    return info.dir().filePath(info.completeBaseName() + "-jaccard." + info.suffix());
}
} // namespace

LayerExplorerPanel::LayerExplorerPanel(QWidget* parent) : QWidget(parent) {
    fromFolder_ = new QRadioButton(tr("Labelled folder"));
    fromFolder_->setToolTip(tr("A folder with labels.csv (file,label[,valence,arousal])"));
    fromGenerated_ = new QRadioButton(tr("Generate clips per genre"));
    fromGenerated_->setChecked(true);
    folder_ = new QLineEdit;
    folder_->setPlaceholderText(tr("folder with labels.csv"));
    browse_ = new QPushButton(tr("Browse…"));
    perLabel_ = new QSpinBox;
    perLabel_->setRange(2, 200);
    perLabel_->setValue(8);
    perLabel_->setSuffix(tr(" clips per genre"));
    run_ = new QPushButton(tr("Analyse layers"));
    run_->setToolTip(tr("Collects the activations and scores every layer in the background"));
    cancel_ = new QPushButton(tr("Cancel"));
    cancel_->setEnabled(false);
    progress_ = new QProgressBar;
    progress_->setRange(0, 1);
    progress_->setValue(0);
    status_ = new QLabel(tr("Which layer separates the genres? Pick clips and analyse."));
    status_->setWordWrap(true);
    exportData_ = new QPushButton(tr("Export CSV/JSON…"));
    exportImage_ = new QPushButton(tr("Export PNG/PDF…"));
    exportData_->setEnabled(false);
    exportImage_->setEnabled(false);

    metrics_ = new QCustomPlot;
    const QColor colors[3] = {QColor(0x1f, 0x77, 0xb4), QColor(0x2c, 0xa0, 0x2c),
                              QColor(0xd6, 0x27, 0x28)};
    const QString names[3] = {tr("ARI"), tr("NMI"), tr("probe accuracy")};
    for (int i = 0; i < 3; ++i) {
        QCPGraph* g = metrics_->addGraph();
        g->setName(names[i]);
        g->setPen(QPen(colors[i], 2));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    }
    metrics_->xAxis->setLabel(tr("decoder layer"));
    metrics_->yAxis->setLabel(tr("score"));
    metrics_->yAxis->setRange(-0.05, 1.05);
    metrics_->legend->setVisible(true);
    metrics_->legend->setFont(QFont(font().family(), 8));
    metrics_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    bestLine_ = new QCPItemStraightLine(metrics_);
    bestLine_->setPen(QPen(Qt::black, 1, Qt::DashLine));
    bestLine_->setVisible(false);
    bestText_ = new QCPItemText(metrics_);
    bestText_->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
    bestText_->setVisible(false);
    metrics_->setMinimumHeight(180);

    jaccard_ = new QCustomPlot;
    map_ = new QCPColorMap(jaccard_->xAxis, jaccard_->yAxis);
    auto* scale = new QCPColorScale(jaccard_);
    jaccard_->plotLayout()->addElement(0, 1, scale);
    scale->setLabel(tr("Jaccard"));
    map_->setColorScale(scale);
    map_->setGradient(QCPColorGradient::gpThermal);
    map_->setDataRange(QCPRange(0, 1));
    map_->setInterpolate(false);
    jaccard_->xAxis->setLabel(tr("k-means cluster"));
    jaccard_->yAxis->setLabel(tr("label"));
    jaccard_->setMinimumHeight(180);
    jaccardLayer_ = new QComboBox;
    jaccardLayer_->setEnabled(false);
    jaccardLayer_->setToolTip(tr("Layer whose k-means clusters the heatmap compares with the "
                                 "labels (or click a layer on the plot above)"));

    auto* source = new QFormLayout;
    auto* folderRow = new QHBoxLayout;
    folderRow->addWidget(folder_, 1);
    folderRow->addWidget(browse_);
    source->addRow(fromFolder_, folderRow);
    source->addRow(fromGenerated_, perLabel_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(run_);
    buttons->addWidget(cancel_);
    buttons->addWidget(progress_, 1);
    auto* exports = new QHBoxLayout;
    exports->addWidget(new QLabel(tr("Jaccard matrix of layer")));
    exports->addWidget(jaccardLayer_);
    exports->addStretch();
    exports->addWidget(exportData_);
    exports->addWidget(exportImage_);
    auto* plots = new QSplitter(Qt::Vertical);
    plots->addWidget(metrics_);
    plots->addWidget(jaccard_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(source);
    layout->addLayout(buttons);
    layout->addWidget(status_);
    layout->addWidget(plots, 1);
    layout->addLayout(exports);

    connect(browse_, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Labelled clips"));
        if (!dir.isEmpty()) setFolder(dir);
    });
    connect(run_, &QPushButton::clicked, this, [this] {
        if (fromFolder_->isChecked() && folder_->text().trimmed().isEmpty()) {
            setFailed(tr("Choose a folder with labels.csv first."));
            return;
        }
        emit runRequested(request());
    });
    connect(cancel_, &QPushButton::clicked, this, &LayerExplorerPanel::cancelRequested);
    connect(jaccardLayer_, &QComboBox::activated, this,
            [this](int index) { setJaccardLayer(jaccardLayer_->itemData(index).toInt()); });
    connect(metrics_, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        if (!report_) return;
        const double x = metrics_->xAxis->pixelToCoord(event->position().x());
        setJaccardLayer(static_cast<int>(std::lround(x)));
    });
    connect(exportData_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export layer report"),
                                                          QDir::home().filePath("layers.csv"),
                                                          tr("CSV (*.csv);;JSON (*.json)"));
        if (path.isEmpty()) return;
        try {
            path.endsWith(".json", Qt::CaseInsensitive) ? exportJson(path) : exportCsv(path);
            status_->setText(tr("Exported %1").arg(path));
        } catch (const std::exception& e) {
            setFailed(QString::fromUtf8(e.what()));
        }
    });
    connect(exportImage_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export layer plots"),
                                                          QDir::home().filePath("layers.png"),
                                                          tr("PNG (*.png);;PDF (*.pdf)"));
        if (path.isEmpty()) return;
        try {
            path.endsWith(".pdf", Qt::CaseInsensitive) ? exportPdf(path) : exportPng(path);
            status_->setText(tr("Exported %1 and %2").arg(path, jaccardPath(path)));
        } catch (const std::exception& e) {
            setFailed(QString::fromUtf8(e.what()));
        }
    });
}

void LayerExplorerPanel::setFolder(const QString& folder) {
    folder_->setText(folder);
    fromFolder_->setChecked(true);
}

void LayerExplorerPanel::setGenerate(int perLabel) {
    perLabel_->setValue(perLabel);
    fromGenerated_->setChecked(true);
}

LayerExplorerRequest LayerExplorerPanel::request() const {
    LayerExplorerRequest r;
    if (fromFolder_->isChecked()) r.folder = folder_->text().trimmed();
    r.perLabel = perLabel_->value();
    const QString dir = workFolder_.isEmpty() ? QDir::tempPath() : workFolder_;
    r.activationPath = QDir(dir).filePath("layer-explorer-activations.safetensors");
    return r;
}

void LayerExplorerPanel::setRunning(bool running) {
    running_ = running;
    run_->setEnabled(!running);
    cancel_->setEnabled(running);
    if (running) {
        progress_->setRange(0, 0); // busy until the first progress report
        status_->setText(tr("Starting…"));
    } else {
        progress_->setRange(0, 1);
        progress_->setValue(report_ ? 1 : 0);
    }
}

void LayerExplorerPanel::setProgress(int done, int total, const QString& stage) {
    progress_->setRange(0, std::max(1, total));
    progress_->setValue(std::clamp(done, 0, std::max(1, total)));
    status_->setText(tr("%1 (%2 of %3)").arg(stage).arg(done).arg(total));
}

void LayerExplorerPanel::setFailed(const QString& message) {
    setRunning(false);
    status_->setText("<span style='color:#b00020'>" + message.toHtmlEscaped() + "</span>");
}

QString LayerExplorerPanel::statusText() const {
    return status_->text();
}

int LayerExplorerPanel::bestLayer() const {
    return report_ ? report_->bestLayerByAccuracy : -1;
}

void LayerExplorerPanel::setReport(const LayerAnalysisReport& report) {
    report_ = report;
    QVector<double> layers, ari, nmi, accuracy;
    for (const LayerMetrics& m : report.layers) {
        layers << m.layer;
        ari << m.ari;
        nmi << m.nmi;
        accuracy << m.probeAccuracy;
    }
    metrics_->graph(0)->setData(layers, ari);
    metrics_->graph(1)->setData(layers, nmi);
    metrics_->graph(2)->setData(layers, accuracy);
    const double last = layers.isEmpty() ? 1.0 : layers.back();
    metrics_->xAxis->setRange(-0.5, last + 0.5);
    const int best = report.bestLayerByAccuracy;
    bestLine_->setVisible(best >= 0);
    bestText_->setVisible(best >= 0);
    if (best >= 0) {
        bestLine_->point1->setCoords(best, 0);
        bestLine_->point2->setCoords(best, 1);
        bestText_->position->setCoords(best, 1.04);
        bestText_->setText(tr(" best: layer %1").arg(best));
    }
    metrics_->replot();

    jaccardLayer_->clear();
    for (const LayerClustering& c : report.clusterings)
        jaccardLayer_->addItem(tr("%1").arg(c.layer), c.layer);
    if (jaccardLayer_->findData(report.clustering.layer) < 0)
        jaccardLayer_->addItem(tr("%1").arg(report.clustering.layer), report.clustering.layer);
    jaccardLayer_->setEnabled(jaccardLayer_->count() > 1);
    setJaccardLayer(report.clustering.layer);

    exportData_->setEnabled(true);
    exportImage_->setEnabled(true);
    setRunning(false);
    status_->setText(tr("%1 clips, %2 layers: best layer %3 by probe accuracy, %4 by ARI")
                         .arg(report.numClips)
                         .arg(report.layers.size())
                         .arg(best)
                         .arg(report.bestLayerByAri));
    emit bestLayerChanged(best);
}

bool LayerExplorerPanel::setJaccardLayer(int layer) {
    const LayerClustering* c = report_ ? report_->clusteringOf(layer) : nullptr;
    if (!c) return false;
    jaccardShown_ = layer;
    jaccardLayer_->setCurrentIndex(jaccardLayer_->findData(layer));
    showJaccard(*c);
    return true;
}

void LayerExplorerPanel::showJaccard(const LayerClustering& c) {
    // Rows = labels present, columns = clusters.
    const int rows = static_cast<int>(c.contingency.rowLabels.size());
    const int cols = static_cast<int>(c.contingency.colLabels.size());
    map_->data()->setSize(std::max(1, cols), std::max(1, rows));
    map_->data()->setRange(QCPRange(0, std::max(0, cols - 1)), QCPRange(0, std::max(0, rows - 1)));
    map_->data()->fill(0);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
            if (std::size_t(i * cols + j) < c.jaccard.size())
                map_->data()->setCell(j, i, c.jaccard[std::size_t(i * cols + j)]);
    QSharedPointer<QCPAxisTickerText> labels(new QCPAxisTickerText);
    for (int i = 0; i < rows; ++i) {
        const auto idx = c.contingency.rowLabels[std::size_t(i)];
        const auto& names = report_->settings.labelNames;
        labels->addTick(i, idx >= 0 && std::size_t(idx) < names.size()
                               ? QString::fromStdString(names[std::size_t(idx)])
                               : QString::number(idx));
    }
    jaccard_->yAxis->setTicker(labels);
    QSharedPointer<QCPAxisTickerText> clusters(new QCPAxisTickerText);
    for (int j = 0; j < cols; ++j)
        clusters->addTick(j, QString::number(j));
    jaccard_->xAxis->setTicker(clusters);
    jaccard_->xAxis->setLabel(tr("k-means cluster (layer %1)").arg(c.layer));
    jaccard_->rescaleAxes();
    jaccard_->xAxis->setRange(-0.5, std::max(0, cols - 1) + 0.5);
    jaccard_->yAxis->setRange(-0.5, std::max(0, rows - 1) + 0.5);
    jaccard_->replot();
}

void LayerExplorerPanel::exportCsv(const QString& path) const {
    if (!report_) throw std::runtime_error("no layer report to export to " + path.toStdString());
    report_->writeCsv(path.toStdString());
}

void LayerExplorerPanel::exportJson(const QString& path) const {
    if (!report_) throw std::runtime_error("no layer report to export to " + path.toStdString());
    report_->writeJson(path.toStdString());
}

void LayerExplorerPanel::exportPng(const QString& path) const {
    if (!report_) throw std::runtime_error("no layer report to export to " + path.toStdString());
    WriteTransaction t;
    stagePlot(t, path, [this](const QString& p) { return metrics_->savePng(p, 800, 450); });
    stagePlot(t, jaccardPath(path),
              [this](const QString& p) { return jaccard_->savePng(p, 600, 450); });
    t.commit();
}

void LayerExplorerPanel::exportPdf(const QString& path) const {
    if (!report_) throw std::runtime_error("no layer report to export to " + path.toStdString());
    WriteTransaction t;
    stagePlot(t, path, [this](const QString& p) { return metrics_->savePdf(p, 800, 450); });
    stagePlot(t, jaccardPath(path),
              [this](const QString& p) { return jaccard_->savePdf(p, 600, 450); });
    t.commit();
}

} // namespace moodsteer::widgets
