#include "widgets/VaPad.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace moodsteer::widgets {

VaPad::VaPad(QWidget* parent) : QWidget(parent) {
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(false);
    setToolTip(tr("Emotion target: drag, or use the arrow keys (Shift: bigger steps, Home: "
                  "neutral). Valence runs left to right, arousal bottom to top."));
    setAccessibleName(tr("Valence-arousal pad"));
}

void VaPad::setWords(VaWordList words) {
    words_ = std::move(words);
    updateNearest();
    update();
}

void VaPad::setTarget(double valence, double arousal) {
    const QPointF t(std::clamp(valence, kMin, kMax), std::clamp(arousal, kMin, kMax));
    if (t == target_) return;
    target_ = t;
    updateNearest();
    update();
    emit targetChanged(target_.x(), target_.y());
}

void VaPad::setPath(const QVector<QPointF>& valenceArousal) {
    path_ = valenceArousal;
    update();
}

void VaPad::setPredicted(std::optional<QPointF> valenceArousal) {
    predicted_ = valenceArousal;
    update();
}

void VaPad::updateNearest() {
    shown_ = words_.nearest(target_.x(), target_.y(), kCandidateWords);
    const QString word = shown_.isEmpty() ? QString() : shown_.front().word;
    if (word != nearestWord_) {
        nearestWord_ = word;
        emit nearestWordChanged(word);
    }
}

QRectF VaPad::plotRect() const {
    // Room for tick labels on the left and bottom; the plane itself stays square.
    const QRectF area = QRectF(rect()).adjusted(40, 8, -8, -34);
    const double side = std::max(10.0, std::min(area.width(), area.height()));
    return {area.left() + (area.width() - side) / 2, area.top() + (area.height() - side) / 2, side,
            side};
}

QPointF VaPad::valueToPixel(double valence, double arousal, const QRectF& plot) {
    const double span = kMax - kMin;
    return {plot.left() + (valence - kMin) / span * plot.width(),
            plot.bottom() - (arousal - kMin) / span * plot.height()};
}

QPointF VaPad::pixelToValue(const QPointF& pixel, const QRectF& plot) {
    const double span = kMax - kMin;
    const double v = kMin + (pixel.x() - plot.left()) / plot.width() * span;
    const double a = kMin + (plot.bottom() - pixel.y()) / plot.height() * span;
    return {std::clamp(v, kMin, kMax), std::clamp(a, kMin, kMax)};
}

void VaPad::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF plot = plotRect();
    const QPointF c = valueToPixel(5, 5, plot);
    const bool on = isEnabled();
    const int alpha = on ? 48 : 16;
    // Quadrants: tense (low v, high a), excited (high v, high a), sad, calm.
    p.fillRect(QRectF(plot.topLeft(), c), QColor(220, 60, 60, alpha));
    p.fillRect(QRectF(QPointF(c.x(), plot.top()), QPointF(plot.right(), c.y())),
               QColor(240, 180, 30, alpha));
    p.fillRect(QRectF(QPointF(plot.left(), c.y()), QPointF(c.x(), plot.bottom())),
               QColor(70, 100, 210, alpha));
    p.fillRect(QRectF(c, plot.bottomRight()), QColor(60, 170, 90, alpha));

    const QColor ink =
        palette().color(on ? QPalette::Active : QPalette::Disabled, QPalette::WindowText);
    QFont small = font();
    small.setPointSizeF(std::max(6.5, font().pointSizeF() * 0.8));
    p.setFont(small);
    for (int t = 1; t <= 9; ++t) {
        const QPointF x = valueToPixel(t, kMin, plot), y = valueToPixel(kMin, t, plot);
        p.setPen(QPen(QColor(128, 128, 128, t == 5 ? 160 : 50), t == 5 ? 1.2 : 1.0));
        p.drawLine(QPointF(x.x(), plot.top()), QPointF(x.x(), plot.bottom()));
        p.drawLine(QPointF(plot.left(), y.y()), QPointF(plot.right(), y.y()));
        p.setPen(ink);
        p.drawText(QRectF(x.x() - 10, plot.bottom() + 2, 20, 14), Qt::AlignCenter,
                   QString::number(t));
        p.drawText(QRectF(plot.left() - 22, y.y() - 7, 18, 14), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(t));
    }
    p.drawText(QRectF(plot.left(), plot.bottom() + 16, plot.width(), 16), Qt::AlignCenter,
               tr("valence →"));
    p.save();
    p.translate(plot.left() - 38, plot.center().y());
    p.rotate(-90); // local +y now points right on screen
    p.drawText(QRectF(-plot.height() / 2, 0, plot.height(), 16), Qt::AlignCenter, tr("arousal →"));
    p.restore();
    p.setPen(QPen(ink, 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(plot);

    // Every word as a faint dot (where the vocabulary is dense), then the nearest words that
    // fit without overlapping, labelled at their own coordinates (the nearest in bold).
    QPolygonF dots;
    dots.reserve(words_.words().size());
    for (const VaWord& w : words_.words())
        dots << valueToPixel(w.valence, w.arousal, plot);
    p.setPen(QPen(QColor(80, 80, 80, on ? 70 : 30), 1.5));
    p.drawPoints(dots);
    if (path_.size() >= 2) { // a session's target path: start (ring) to end (dot)
        QPolygonF line;
        for (const QPointF& va : path_)
            line << valueToPixel(va.x(), va.y(), plot);
        p.setPen(QPen(QColor(0x1f, 0x77, 0xb4, 200), 2));
        p.drawPolyline(line);
        p.drawEllipse(line.first(), 5, 5);
        p.setBrush(QColor(0x1f, 0x77, 0xb4));
        p.drawEllipse(line.last(), 4, 4);
        p.setBrush(Qt::NoBrush);
    }
    const QPointF targetPx = valueToPixel(target_.x(), target_.y(), plot);
    QVector<QRectF> taken{QRectF(targetPx - QPointF(9, 9), QSizeF(18, 18))};
    int labelled = 0;
    for (int i = 0; i < shown_.size() && labelled < kShownWords; ++i) {
        const VaWord& w = shown_[i];
        const QPointF at = valueToPixel(w.valence, w.arousal, plot);
        QFont f = small;
        f.setBold(i == 0);
        const QFontMetricsF fm(f);
        const double tw = fm.horizontalAdvance(w.word);
        const bool right = at.x() + 5 + tw < plot.right();
        const QRectF box = right
                               ? QRectF(at.x() + 4, at.y() - fm.height() / 2, tw, fm.height())
                               : QRectF(at.x() - 4 - tw, at.y() - fm.height() / 2, tw, fm.height());
        const QRectF padded =
            box.united(QRectF(at - QPointF(3, 3), QSizeF(6, 6))).adjusted(-2, -1, 2, 1);
        if (i > 0 && std::any_of(taken.begin(), taken.end(),
                                 [&](const QRectF& r) { return r.intersects(padded); }))
            continue;
        taken << padded;
        ++labelled;
        p.setFont(f);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(60, 60, 60, 200));
        p.drawEllipse(at, 2.5, 2.5);
        p.setPen(i == 0 ? ink : QColor(ink.red(), ink.green(), ink.blue(), 170));
        p.drawText(box, (right ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter, w.word);
    }

    if (predicted_) {
        const QPointF at = valueToPixel(predicted_->x(), predicted_->y(), plot);
        p.setPen(QPen(QColor(30, 30, 30), 1.5));
        p.setBrush(QColor(255, 255, 255, 200));
        p.drawRect(QRectF(at.x() - 5, at.y() - 5, 10, 10));
        p.drawLine(at, valueToPixel(target_.x(), target_.y(), plot));
    }
    const QPointF t = valueToPixel(target_.x(), target_.y(), plot);
    p.setPen(QPen(Qt::white, 2));
    p.setBrush(on ? QColor(200, 40, 90) : QColor(150, 150, 150));
    p.drawEllipse(t, 7, 7);
    if (hasFocus()) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 1, Qt::DashLine));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(t, 11, 11);
    }
}

void VaPad::mousePressEvent(QMouseEvent* e) {
    if (e->button() != Qt::LeftButton) return;
    setFocus(Qt::MouseFocusReason);
    const QPointF v = pixelToValue(e->position(), plotRect());
    setTarget(v.x(), v.y());
}

void VaPad::mouseMoveEvent(QMouseEvent* e) {
    if (!(e->buttons() & Qt::LeftButton)) return;
    const QPointF v = pixelToValue(e->position(), plotRect());
    setTarget(v.x(), v.y());
}

void VaPad::keyPressEvent(QKeyEvent* e) {
    const double step = (e->modifiers() & Qt::ShiftModifier) ? kBigStep : kStep;
    // Round to the step grid so repeated key presses land on tidy values (5.1, not 5.0999).
    auto snap = [](double x) { return std::round(x * 10.0) / 10.0; };
    switch (e->key()) {
    case Qt::Key_Left:
        setTarget(snap(valence() - step), arousal());
        break;
    case Qt::Key_Right:
        setTarget(snap(valence() + step), arousal());
        break;
    case Qt::Key_Up:
        setTarget(valence(), snap(arousal() + step));
        break;
    case Qt::Key_Down:
        setTarget(valence(), snap(arousal() - step));
        break;
    case Qt::Key_Home:
        setTarget(5.0, 5.0);
        break;
    default:
        QWidget::keyPressEvent(e);
        return;
    }
    e->accept();
}

} // namespace moodsteer::widgets
