#include "widgets/SessionTimeline.h"

#include <QHash>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace moodsteer::widgets {
namespace {
constexpr double kMinValue = 1.0, kMaxValue = 9.0;
constexpr int kLaneGap = 6;

double snapValue(double v) {
    return std::clamp(std::round(v * 10.0) / 10.0, kMinValue, kMaxValue);
}

double laneValue(const VaKeyframe& k, SessionTimeline::Lane lane) {
    return lane == SessionTimeline::Lane::Valence ? k.valence : k.arousal;
}

/// A ruler step that keeps labels ~80 px apart: 1, 5, 10, 30 s, 1, 2, 5, 10 min.
double tickStep(double seconds, double pixels) {
    for (double step : {1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0})
        if (pixels * step / seconds >= 80) return step;
    return 1200.0;
}

QString clock(double seconds) {
    const int s = static_cast<int>(std::lround(seconds));
    return QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}
} // namespace

SessionTimeline::SessionTimeline(QWidget* parent) : QWidget(parent) {
    setMouseTracking(false);
    setFocusPolicy(Qt::ClickFocus);
    setToolTip(tr("Click a lane to add a keyframe, drag to move it, right-click to delete it. "
                  "Drag on the genre lane (G) to steer a stretch towards the chosen genre; "
                  "right-click a block to delete it. Click the ruler to seek."));
}

void SessionTimeline::setTotalSeconds(double seconds) {
    if (!(seconds > 0) || seconds == total_) return;
    total_ = seconds;
    update();
}

void SessionTimeline::setPath(const VaPath& path) {
    keys_ = path.empty() ? std::vector<VaKeyframe>{{0.0, 5.0, 5.0}} : path.keyframes();
    interpolation_ = path.interpolation();
    update();
}

VaPath SessionTimeline::path() const {
    return VaPath(keys_, interpolation_);
}

void SessionTimeline::setInterpolation(PathInterpolation interpolation) {
    interpolation_ = interpolation;
    update();
}

void SessionTimeline::addPrediction(const Prediction& prediction) {
    predicted_.append(prediction);
    update();
}

void SessionTimeline::clearPredictions() {
    predicted_.clear();
    update();
}

void SessionTimeline::setPlayhead(double seconds) {
    if (seconds == playhead_) return;
    playhead_ = seconds;
    update();
}

QRectF SessionTimeline::laneRect(Lane lane) const {
    const double top = kRulerHeight;
    const double left = kLeftMargin, w = std::max(1.0, width() - kLeftMargin - 8.0);
    if (lane == Lane::Genre)
        return {left, std::max(top, height() - 2.0 - kGenreLaneHeight), w,
                double(kGenreLaneHeight)};
    const double h = (height() - top - 2 * kLaneGap - kGenreLaneHeight - 2) / 2.0;
    const double y = lane == Lane::Valence ? top : top + h + kLaneGap;
    return {left, y, w, std::max(1.0, h)};
}

void SessionTimeline::setGenreSegments(const QVector<GenreSegment>& segments) {
    QVector<GenreSegment> sorted = segments;
    std::sort(sorted.begin(), sorted.end(), [](const GenreSegment& a, const GenreSegment& b) {
        return a.fromSeconds < b.fromSeconds;
    });
    segments_.clear();
    for (const GenreSegment& g : sorted)
        if (g.toSeconds > g.fromSeconds && !g.genre.isEmpty() &&
            (segments_.isEmpty() || g.fromSeconds >= segments_.back().toSeconds))
            segments_.append(g);
    update();
}

QColor SessionTimeline::genreColour(const QString& genre) {
    if (genre == "classical") return QColor(0x8c, 0x6d, 0xc8);
    if (genre == "electronic") return QColor(0x17, 0xbe, 0xcf);
    if (genre == "jazz") return QColor(0xe3, 0x9b, 0x2d);
    if (genre == "rock") return QColor(0xc4, 0x3c, 0x3c);
    return QColor::fromHsv(static_cast<int>(qHash(genre) % 360), 140, 200);
}

int SessionTimeline::segmentAt(double seconds) const {
    for (int i = 0; i < segments_.size(); ++i)
        if (seconds >= segments_[i].fromSeconds && seconds < segments_[i].toSeconds) return i;
    return -1;
}

std::pair<double, double> SessionTimeline::freeAround(double seconds) const {
    double lo = 0, hi = total_;
    for (const GenreSegment& g : segments_) {
        if (g.toSeconds <= seconds) lo = std::max(lo, g.toSeconds);
        if (g.fromSeconds > seconds) hi = std::min(hi, g.fromSeconds);
    }
    return {lo, hi};
}

void SessionTimeline::genrePress(QMouseEvent* e) {
    const double t = xToTime(e->position().x());
    const int hit = segmentAt(t);
    if (e->button() == Qt::RightButton) {
        if (hit >= 0) {
            segments_.removeAt(hit);
            update();
            emit genreSegmentsChanged();
        }
        return;
    }
    if (e->button() != Qt::LeftButton || currentGenre_.isEmpty()) return;
    if (hit >= 0) { // a click gives the block the current genre
        if (segments_[hit].genre != currentGenre_) {
            segments_[hit].genre = currentGenre_;
            update();
            emit genreSegmentsChanged();
        }
        return;
    }
    genreDragFrom_ = genreDragTo_ = std::round(t);
    genreDragPress_ = t;
}

double SessionTimeline::timeToX(double seconds) const {
    const QRectF r = laneRect(Lane::Valence);
    return r.left() + seconds / total_ * r.width();
}

double SessionTimeline::xToTime(double x) const {
    const QRectF r = laneRect(Lane::Valence);
    return std::clamp((x - r.left()) / r.width() * total_, 0.0, total_);
}

double SessionTimeline::valueToY(double value, Lane lane) const {
    const QRectF r = laneRect(lane);
    return r.bottom() - (value - kMinValue) / (kMaxValue - kMinValue) * r.height();
}

double SessionTimeline::yToValue(double y, Lane lane) const {
    const QRectF r = laneRect(lane);
    return std::clamp(kMinValue + (r.bottom() - y) / r.height() * (kMaxValue - kMinValue),
                      kMinValue, kMaxValue);
}

int SessionTimeline::keyframeAt(const QPointF& pos, Lane lane) const {
    int best = -1;
    double bestDistance = kHitPixels;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        const QPointF k(timeToX(keys_[i].time), valueToY(laneValue(keys_[i], lane), lane));
        const double d = std::hypot(k.x() - pos.x(), k.y() - pos.y());
        if (d <= bestDistance) {
            bestDistance = d;
            best = static_cast<int>(i);
        }
    }
    return best;
}

void SessionTimeline::moveKeyframe(int index, double seconds, double value, Lane lane) {
    // Times stay strictly increasing: a keyframe moves only between its neighbours.
    const double lo = index > 0 ? keys_[index - 1].time + 1.0 : 0.0;
    const double hi = index + 1 < int(keys_.size()) ? keys_[index + 1].time - 1.0 : total_;
    VaKeyframe& k = keys_[index];
    if (lo <= hi) k.time = std::clamp(std::round(seconds), lo, hi);
    (lane == Lane::Valence ? k.valence : k.arousal) = snapValue(value);
    update();
}

void SessionTimeline::setLoopRegion(double fromSeconds, double toSeconds) {
    if (!(toSeconds > fromSeconds)) fromSeconds = toSeconds = 0;
    if (fromSeconds == loopFrom_ && toSeconds == loopTo_) return;
    loopFrom_ = fromSeconds;
    loopTo_ = toSeconds;
    update();
}

void SessionTimeline::mousePressEvent(QMouseEvent* e) {
    const QPointF pos = e->position();
    if (pos.y() < kRulerHeight) {
        // A click seeks (on release, so that a drag can become a loop region instead).
        if (e->button() == Qt::LeftButton) {
            rulerPress_ = std::clamp(xToTime(pos.x()), 0.0, total_);
            rulerDragTo_ = rulerPress_;
        } else if (e->button() == Qt::RightButton && loopTo_ > loopFrom_) {
            setLoopRegion(0, 0);
            emit loopRegionRequested(0, 0);
        }
        return;
    }
    if (laneRect(Lane::Genre).contains(pos)) {
        genrePress(e);
        return;
    }
    Lane lane;
    if (laneRect(Lane::Valence).adjusted(0, -kHitPixels, 0, kHitPixels / 2).contains(pos))
        lane = Lane::Valence;
    else if (laneRect(Lane::Arousal).adjusted(0, -kHitPixels / 2, 0, kHitPixels).contains(pos))
        lane = Lane::Arousal;
    else
        return;
    const int hit = keyframeAt(pos, lane);
    if (e->button() == Qt::RightButton) {
        if (hit >= 0 && keys_.size() > 1) { // a path needs one keyframe
            keys_.erase(keys_.begin() + hit);
            update();
            emit pathChanged();
        }
        return;
    }
    if (e->button() != Qt::LeftButton) return;
    if (hit >= 0) {
        dragIndex_ = hit;
        dragLane_ = lane;
        return;
    }
    const double t = std::round(xToTime(pos.x()));
    const double value = snapValue(yToValue(pos.y(), lane));
    auto same = std::find_if(keys_.begin(), keys_.end(),
                             [t](const VaKeyframe& k) { return std::abs(k.time - t) < 0.5; });
    if (same == keys_.end()) {
        // The other lane keeps the path's value at t, so adding a point changes one axis only.
        const auto [v, a] = path().at(t);
        VaKeyframe k{t, snapValue(v), snapValue(a)};
        same =
            keys_.insert(std::upper_bound(keys_.begin(), keys_.end(), t,
                                          [](double x, const VaKeyframe& y) { return x < y.time; }),
                         k);
    }
    (lane == Lane::Valence ? same->valence : same->arousal) = value;
    dragIndex_ = static_cast<int>(same - keys_.begin());
    dragLane_ = lane;
    update();
    emit pathChanged();
}

void SessionTimeline::mouseMoveEvent(QMouseEvent* e) {
    if (rulerPress_ >= 0) {
        rulerDragTo_ = std::clamp(xToTime(e->position().x()), 0.0, total_);
        update();
        return;
    }
    if (genreDragFrom_ >= 0) {
        genreDragTo_ = std::round(xToTime(e->position().x()));
        update();
        return;
    }
    if (dragIndex_ < 0) return;
    const QPointF pos = e->position();
    moveKeyframe(dragIndex_, xToTime(pos.x()), yToValue(pos.y(), dragLane_), dragLane_);
}

void SessionTimeline::mouseReleaseEvent(QMouseEvent* e) {
    if (rulerPress_ >= 0) {
        const double press = rulerPress_;
        const double to = std::clamp(xToTime(e->position().x()), 0.0, total_);
        rulerPress_ = rulerDragTo_ = -1;
        const double a = std::round(std::min(press, to)), b = std::round(std::max(press, to));
        if (std::abs(to - press) >= 1.0 && b > a) {
            setLoopRegion(a, b);
            emit loopRegionRequested(a, b);
        } else {
            update();
            emit seekRequested(press);
        }
        return;
    }
    if (genreDragFrom_ >= 0) {
        // The block spans the drag, cut to the free stretch where it started (no overlap).
        const double to = std::round(xToTime(e->position().x()));
        const auto [lo, hi] = freeAround(genreDragPress_);
        const double from = std::clamp(std::min(genreDragFrom_, to), lo, hi);
        const double end = std::clamp(std::max(genreDragFrom_, to), lo, hi);
        genreDragFrom_ = genreDragTo_ = -1;
        if (end - from >= 1.0) {
            segments_.append({from, end, currentGenre_});
            std::sort(segments_.begin(), segments_.end(),
                      [](const GenreSegment& a, const GenreSegment& b) {
                          return a.fromSeconds < b.fromSeconds;
                      });
            emit genreSegmentsChanged();
        }
        update();
        return;
    }
    if (dragIndex_ < 0) return;
    const QPointF pos = e->position();
    moveKeyframe(dragIndex_, xToTime(pos.x()), yToValue(pos.y(), dragLane_), dragLane_);
    dragIndex_ = -1;
    emit pathChanged();
}

void SessionTimeline::paintLane(QPainter& p, Lane lane) const {
    const QRectF r = laneRect(lane);
    p.fillRect(r, palette().base());
    p.setPen(QPen(palette().mid().color(), 1, Qt::DotLine));
    for (double v : {3.0, 5.0, 7.0})
        p.drawLine(QPointF(r.left(), valueToY(v, lane)), QPointF(r.right(), valueToY(v, lane)));
    p.setPen(palette().text().color());
    p.drawText(QRectF(0, r.top(), kLeftMargin - 4, r.height()), Qt::AlignRight | Qt::AlignVCenter,
               lane == Lane::Valence ? tr("V") : tr("A"));
    p.drawText(QRectF(0, r.top(), kLeftMargin - 4, 14), Qt::AlignRight | Qt::AlignTop, "9");
    p.drawText(QRectF(0, r.bottom() - 14, kLeftMargin - 4, 14), Qt::AlignRight | Qt::AlignBottom,
               "1");

    // The target path, one sample per two pixels.
    const VaPath target = path();
    QPainterPath line;
    for (double x = r.left(); x <= r.right() + 1; x += 2) {
        const auto [v, a] = target.at(xToTime(x));
        const QPointF pt(x, valueToY(lane == Lane::Valence ? v : a, lane));
        if (line.elementCount() == 0)
            line.moveTo(pt);
        else
            line.lineTo(pt);
    }
    const QColor targetColour =
        lane == Lane::Valence ? QColor(0x1f, 0x77, 0xb4) : QColor(0xd6, 0x27, 0x28);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(targetColour, 2));
    p.drawPath(line);

    // Predictions: one bar per finished window, over the target.
    p.setPen(QPen(QColor(0xff, 0x8c, 0x00), 4, Qt::SolidLine, Qt::FlatCap));
    for (const Prediction& w : predicted_) {
        const double y = valueToY(lane == Lane::Valence ? w.valence : w.arousal, lane);
        p.drawLine(QPointF(timeToX(w.startSeconds), y),
                   QPointF(timeToX(std::min(w.endSeconds, total_)), y));
    }

    p.setPen(QPen(palette().text().color(), 1));
    p.setBrush(targetColour);
    for (const VaKeyframe& k : keys_)
        if (k.time <= total_)
            p.drawEllipse(QPointF(timeToX(k.time), valueToY(laneValue(k, lane), lane)), 4.5, 4.5);
    p.setBrush(Qt::NoBrush);
}

void SessionTimeline::paintGenreLane(QPainter& p) const {
    const QRectF r = laneRect(Lane::Genre);
    p.fillRect(r, palette().base());
    p.setPen(palette().text().color());
    p.drawText(QRectF(0, r.top(), kLeftMargin - 4, r.height()), Qt::AlignRight | Qt::AlignVCenter,
               tr("G"));
    const auto block = [&](double from, double to, const QString& genre, bool preview) {
        const QRectF b(timeToX(std::min(from, total_)), r.top() + 2,
                       timeToX(std::min(to, total_)) - timeToX(std::min(from, total_)),
                       r.height() - 4);
        QColor c = genreColour(genre);
        if (preview) c.setAlpha(110);
        p.fillRect(b, c);
        p.setPen(QPen(c.darker(140), 1));
        p.drawRect(b);
        p.setPen(palette().text().color());
        p.drawText(b.adjusted(3, 0, -2, 0), Qt::AlignLeft | Qt::AlignVCenter,
                   p.fontMetrics().elidedText(genre, Qt::ElideRight, int(b.width()) - 4));
    };
    for (const GenreSegment& g : segments_)
        if (g.fromSeconds < total_) block(g.fromSeconds, g.toSeconds, g.genre, false);
    if (genreDragFrom_ >= 0)
        block(std::min(genreDragFrom_, genreDragTo_), std::max(genreDragFrom_, genreDragTo_),
              currentGenre_, true);
}

void SessionTimeline::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QRectF v = laneRect(Lane::Valence);
    p.setPen(palette().text().color());
    const double step = tickStep(total_, v.width());
    for (double t = 0; t <= total_ + 1e-9; t += step) {
        const double x = timeToX(t);
        p.drawLine(QPointF(x, kRulerHeight - 5), QPointF(x, kRulerHeight));
        p.drawText(QPointF(x + 2, kRulerHeight - 6), clock(t));
    }
    paintLane(p, Lane::Valence);
    paintLane(p, Lane::Arousal);
    paintGenreLane(p);
    // The loop region (or the one being dragged): a band on the ruler, a veil over the lanes.
    double from = loopFrom_, to = loopTo_;
    if (rulerPress_ >= 0 && std::abs(rulerDragTo_ - rulerPress_) >= 1.0) {
        from = std::round(std::min(rulerPress_, rulerDragTo_));
        to = std::round(std::max(rulerPress_, rulerDragTo_));
    }
    if (to > from && from < total_) {
        const double x0 = timeToX(from), x1 = timeToX(std::min(to, total_));
        QColor band = palette().highlight().color();
        band.setAlpha(150);
        p.fillRect(QRectF(x0, 0, x1 - x0, kRulerHeight - 6), band);
        band.setAlpha(35);
        p.fillRect(QRectF(x0, kRulerHeight, x1 - x0, laneRect(Lane::Genre).bottom() - kRulerHeight),
                   band);
    }
    if (playhead_ >= 0 && playhead_ <= total_) {
        const double x = timeToX(playhead_);
        p.setPen(QPen(QColor(0x20, 0x20, 0x20), 1.5));
        p.drawLine(QPointF(x, 0), QPointF(x, laneRect(Lane::Genre).bottom()));
    }
}

} // namespace moodsteer::widgets
