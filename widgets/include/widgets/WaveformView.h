// The clip's waveform (min/max per pixel column) with the playhead; clicking seeks, dragging
// selects a time range (for "Restore selection"); a new clip clears the selection.
// Streaming clips grow while they are generated against their expected length.
#pragma once

#include <QVector>
#include <QWidget>

#include <optional>
#include <utility>
#include <vector>

namespace moodsteer::widgets {

class WaveformView : public QWidget {
    Q_OBJECT
  public:
    explicit WaveformView(QWidget* parent = nullptr);

    void setAudio(std::vector<float> samples, int sampleRate);
    void appendAudio(const float* samples, std::size_t count);
    /// The x axis spans max(expected, actual) seconds (so a growing clip fills from the left).
    void setExpectedSeconds(double seconds);
    void setPlayhead(double seconds);
    double playhead() const { return playhead_; }
    double totalSeconds() const;
    double secondsAt(double x) const;
    /// The dragged range in seconds (first < second), if any.
    std::optional<std::pair<double, double>> selection() const { return selection_; }
    void setSelection(double from, double to);
    void clearSelection();

    QSize sizeHint() const override { return {600, 90}; }
    QSize minimumSizeHint() const override { return {200, 60}; }

  signals:
    void seekRequested(double seconds);
    void selectionChanged();

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void resizeEvent(QResizeEvent*) override;

  private:
    void rebuildColumns();

    std::vector<float> samples_;
    int sampleRate_ = 32000;
    double expected_ = 0;
    double playhead_ = 0;
    QVector<QPair<float, float>> columns_; // min/max per pixel column, cached
    bool dirty_ = true;
    std::optional<std::pair<double, double>> selection_;
    double pressX_ = -1; ///< where the left button went down; -1 when up
};

} // namespace moodsteer::widgets
