// The layer explorer: which decoder layer separates the genres best. The user picks a
// labelled folder (labels.csv) or "generate N clips per genre"; the engine collects the
// activations and analyses every layer in the background (progress, cancel); the panel then
// plots ARI, NMI and probe accuracy per layer (best layer marked), the Jaccard matrix of
// labels vs k-means clusters for the clustered layer, and exports CSV/JSON (the report's
// writers) and PNG/PDF (the plots).
#pragma once

#include "widgets/EngineClient.h"

#include <QWidget>

#include <optional>

class QCustomPlot;
class QCPColorMap;
class QCPItemStraightLine;
class QCPItemText;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace moodsteer::widgets {

class LayerExplorerPanel : public QWidget {
    Q_OBJECT
  public:
    explicit LayerExplorerPanel(QWidget* parent = nullptr);

    /// Where activation sets are written (a data folder).
    void setWorkFolder(const QString& folder) { workFolder_ = folder; }
    void setFolder(const QString& folder);
    void setGenerate(int perLabel);
    /// The request the controls describe.
    LayerExplorerRequest request() const;

    void setRunning(bool running);
    bool isRunning() const { return running_; }
    void setProgress(int done, int total, const QString& stage);
    void setFailed(const QString& message);
    /// Fills the plots; emits bestLayerChanged. The heatmap shows the report's clustered layer.
    void setReport(const LayerAnalysisReport& report);
    /// Shows the Jaccard matrix of `layer` (chooser, or a click on the metric plot); false
    /// when the report has no clustering of that layer.
    bool setJaccardLayer(int layer);
    /// The layer whose Jaccard matrix is shown (-1 without a report).
    int jaccardLayer() const { return jaccardShown_; }
    QComboBox* jaccardLayerBox() const { return jaccardLayer_; }
    const std::optional<LayerAnalysisReport>& report() const { return report_; }

    /// Exports (throw std::runtime_error naming the path on failure).
    void exportCsv(const QString& path) const;
    void exportJson(const QString& path) const;
    /// The metric plot to `path`, the Jaccard heatmap next to it ("<stem>-jaccard.<ext>").
    void exportPng(const QString& path) const;
    void exportPdf(const QString& path) const;

    QCustomPlot* metricsPlot() const { return metrics_; }
    QCustomPlot* jaccardPlot() const { return jaccard_; }
    QCPColorMap* jaccardMap() const { return map_; }
    QPushButton* runButton() const { return run_; }
    QString statusText() const;
    /// The layer marked as best (by probe accuracy; -1 without a report).
    int bestLayer() const;

  signals:
    void runRequested(const moodsteer::widgets::LayerExplorerRequest& request);
    void cancelRequested();
    void bestLayerChanged(int layer);

  private:
    void showJaccard(const LayerClustering& clustering);

    QString workFolder_;
    int jaccardShown_ = -1;
    bool running_ = false;
    std::optional<LayerAnalysisReport> report_;
    QRadioButton* fromFolder_;
    QRadioButton* fromGenerated_;
    QLineEdit* folder_;
    QSpinBox* perLabel_;
    QPushButton* browse_;
    QPushButton* run_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    QCustomPlot* metrics_;
    QCustomPlot* jaccard_;
    QCPColorMap* map_;
    QComboBox* jaccardLayer_;
    QCPItemStraightLine* bestLine_;
    QCPItemText* bestText_;
    QPushButton* exportData_;
    QPushButton* exportImage_;
};

} // namespace moodsteer::widgets
