// The clip's waveform (min/max per pixel column) with the playhead; clicking seeks.
// Streaming clips grow while they are generated against their expected length.
#pragma once

#include <QVector>
#include <QWidget>

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

    QSize sizeHint() const override { return {600, 90}; }
    QSize minimumSizeHint() const override { return {200, 60}; }

  signals:
    void seekRequested(double seconds);

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void resizeEvent(QResizeEvent*) override;

  private:
    void rebuildColumns();

    std::vector<float> samples_;
    int sampleRate_ = 32000;
    double expected_ = 0;
    double playhead_ = 0;
    QVector<QPair<float, float>> columns_; // min/max per pixel column, cached
    bool dirty_ = true;
};

} // namespace moodsteer::widgets
