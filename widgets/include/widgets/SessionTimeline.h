// The session's timeline: a ruler (click to seek, drag to set a loop region, right button to
// clear it) over two lanes, valence and arousal (1-9),
// across the session's length, and a third lane of genre segments. The target path is drawn
// from its keyframes; keyframes are added by clicking a lane (the other axis keeps the path's
// value there), dragged, and deleted with the right button, times snapped to whole seconds and
// values to 0.1. Genre segments are coloured blocks: dragging across free space on the genre
// lane adds one of the current genre (setCurrentGenre), clicking a block gives it the current
// genre, the right button deletes it; segments never overlap. The predicted valence/arousal of
// each finished window is drawn over the target, with a playhead.
//
// Threading: GUI thread only.
#pragma once

#include "core/session/VaPath.h"

#include <QColor>
#include <QString>
#include <QVector>
#include <QWidget>

#include <utility>
#include <vector>

namespace moodsteer::widgets {

class SessionTimeline : public QWidget {
    Q_OBJECT
  public:
    enum class Lane { Valence = 0, Arousal = 1, Genre = 2 };
    /// A stretch of the session steered towards a genre (Recipe::steering with a time range).
    struct GenreSegment {
        double fromSeconds = 0;
        double toSeconds = 0;
        QString genre;
    };
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
    static constexpr int kGenreLaneHeight = 24;

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

    /// Replaces the segments (sorted by start; overlapping or empty ones are dropped).
    void setGenreSegments(const QVector<GenreSegment>& segments);
    const QVector<GenreSegment>& genreSegments() const { return segments_; }
    /// The genre a drag on the genre lane paints ("" : dragging adds nothing).
    void setCurrentGenre(const QString& genre) { currentGenre_ = genre; }
    QString currentGenre() const { return currentGenre_; }
    /// The block's colour: fixed for the embedded model's four genres, else from the name.
    static QColor genreColour(const QString& genre);

    void addPrediction(const Prediction& prediction);
    void clearPredictions();
    const QVector<Prediction>& predictions() const { return predicted_; }
    /// Seconds into the session; < 0 hides the playhead.
    void setPlayhead(double seconds);
    double playhead() const { return playhead_; }
    /// The loop region drawn over the timeline (whole seconds); from == to hides it.
    void setLoopRegion(double fromSeconds, double toSeconds);
    std::pair<double, double> loopRegion() const { return {loopFrom_, loopTo_}; }

    /// Geometry (for painting and tests).
    QRectF laneRect(Lane lane) const;
    double timeToX(double seconds) const;
    double xToTime(double x) const;
    double valueToY(double value, Lane lane) const;
    double yToValue(double y, Lane lane) const;

    QSize sizeHint() const override { return {640, 250}; }
    QSize minimumSizeHint() const override { return {320, 170}; }

  signals:
    /// A keyframe was added, moved (on release) or deleted.
    void pathChanged();
    /// The ruler was clicked at `seconds`.
    void seekRequested(double seconds);
    /// A drag of at least a second across the ruler (whole seconds, from < to), or the right
    /// button on the ruler (0, 0: no region). The region is drawn already.
    void loopRegionRequested(double fromSeconds, double toSeconds);
    /// A genre segment was added, changed or deleted.
    void genreSegmentsChanged();

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
    void paintGenreLane(class QPainter& p) const;
    void genrePress(QMouseEvent* e);
    /// The segment covering `seconds`, or -1.
    int segmentAt(double seconds) const;
    /// The free stretch around `seconds` between its neighbouring segments.
    std::pair<double, double> freeAround(double seconds) const;

    std::vector<VaKeyframe> keys_{{0.0, 5.0, 5.0}};
    PathInterpolation interpolation_ = PathInterpolation::Linear;
    double total_ = 600;
    QVector<Prediction> predicted_;
    double playhead_ = -1;
    int dragIndex_ = -1;
    Lane dragLane_ = Lane::Valence;
    QVector<GenreSegment> segments_;
    QString currentGenre_;
    double genreDragFrom_ = -1; ///< where a genre drag started, whole seconds (-1: none)
    double genreDragTo_ = -1;
    double genreDragPress_ = -1; ///< the press itself (the free stretch is found around it)
    double rulerPress_ = -1;     ///< where a press on the ruler was, seconds (-1: none)
    double rulerDragTo_ = -1;
    double loopFrom_ = 0, loopTo_ = 0;
};

} // namespace moodsteer::widgets
