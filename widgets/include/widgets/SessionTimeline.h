// The session's timeline: a ruler (click to seek) over two lanes, valence and arousal (1-9),
// across the session's length. The target path is drawn from its keyframes; keyframes are
// added by clicking a lane (the other axis keeps the path's value there), dragged, and
// deleted with the right button, times snapped to whole seconds and values to 0.1. The
// predicted valence/arousal of each finished window is drawn over the target, with a
// playhead.
//
// Threading: GUI thread only.
#pragma once

#include "core/session/VaPath.h"

#include <QVector>
#include <QWidget>

#include <vector>

namespace moodsteer::widgets {

class SessionTimeline : public QWidget {
    Q_OBJECT
  public:
    enum class Lane { Valence = 0, Arousal = 1 };
    /// The predicted emotion of one finished stretch of the session.
    struct Prediction {
        double startSeconds = 0;
        double endSeconds = 0;
        double valence = 5;
        double arousal = 5;
    };
    static constexpr int kRulerHeight = 18;
    static constexpr int kLeftMargin = 30;
    static constexpr double kHitPixels = 7;

    explicit SessionTimeline(QWidget* parent = nullptr);

    /// Length shown (> 0). Keyframes beyond it are kept (the path holds after them).
    void setTotalSeconds(double seconds);
    double totalSeconds() const { return total_; }
    /// Replaces the keyframes (strictly increasing times, values in [1, 9]: a VaPath's).
    void setPath(const VaPath& path);
    /// The keyframes as a path with the current interpolation.
    VaPath path() const;
    const std::vector<VaKeyframe>& keyframes() const { return keys_; }
    void setInterpolation(PathInterpolation interpolation);

    void addPrediction(const Prediction& prediction);
    void clearPredictions();
    const QVector<Prediction>& predictions() const { return predicted_; }
    /// Seconds into the session; < 0 hides the playhead.
    void setPlayhead(double seconds);
    double playhead() const { return playhead_; }

    /// Geometry (for painting and tests).
    QRectF laneRect(Lane lane) const;
    double timeToX(double seconds) const;
    double xToTime(double x) const;
    double valueToY(double value, Lane lane) const;
    double yToValue(double y, Lane lane) const;

    QSize sizeHint() const override { return {640, 220}; }
    QSize minimumSizeHint() const override { return {320, 140}; }

  signals:
    /// A keyframe was added, moved (on release) or deleted.
    void pathChanged();
    /// The ruler was clicked at `seconds`.
    void seekRequested(double seconds);

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;

  private:
    /// The keyframe drawn within kHitPixels of `pos` in `lane`, or -1.
    int keyframeAt(const QPointF& pos, Lane lane) const;
    /// Sets keyframe `index`'s time (kept between its neighbours) and `lane` value.
    void moveKeyframe(int index, double seconds, double value, Lane lane);
    void paintLane(class QPainter& p, Lane lane) const;

    std::vector<VaKeyframe> keys_{{0.0, 5.0, 5.0}};
    PathInterpolation interpolation_ = PathInterpolation::Linear;
    double total_ = 600;
    QVector<Prediction> predicted_;
    double playhead_ = -1;
    int dragIndex_ = -1;
    Lane dragLane_ = Lane::Valence;
};

} // namespace moodsteer::widgets
