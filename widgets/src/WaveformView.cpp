#include "widgets/WaveformView.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace moodsteer::widgets {

WaveformView::WaveformView(QWidget* parent) : QWidget(parent) {
    setToolTip(tr("Click to move the playhead; drag to select a range"));
    setCursor(Qt::PointingHandCursor);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void WaveformView::setAudio(std::vector<float> samples, int sampleRate) {
    samples_ = std::move(samples);
    clearSelection();
    sampleRate_ = sampleRate > 0 ? sampleRate : 32000;
    dirty_ = true;
    update();
}

void WaveformView::appendAudio(const float* samples, std::size_t count) {
    samples_.insert(samples_.end(), samples, samples + count);
    dirty_ = true;
    update(); // coalesced by Qt: at most one repaint per event-loop pass
}

void WaveformView::setExpectedSeconds(double seconds) {
    expected_ = seconds;
    dirty_ = true;
    update();
}

void WaveformView::setSelection(double from, double to) {
    if (to < from) std::swap(from, to);
    from = std::clamp(from, 0.0, totalSeconds());
    to = std::clamp(to, 0.0, totalSeconds());
    if (!(to > from)) return clearSelection();
    selection_ = std::make_pair(from, to);
    update();
    emit selectionChanged();
}

void WaveformView::clearSelection() {
    if (!selection_) return;
    selection_.reset();
    update();
    emit selectionChanged();
}

void WaveformView::setPlayhead(double seconds) {
    if (seconds == playhead_) return;
    playhead_ = seconds;
    update();
}

double WaveformView::totalSeconds() const {
    return std::max(expected_, static_cast<double>(samples_.size()) / sampleRate_);
}

double WaveformView::secondsAt(double x) const {
    const double w = std::max(1, width());
    return std::clamp(x / w, 0.0, 1.0) * totalSeconds();
}

void WaveformView::resizeEvent(QResizeEvent*) {
    dirty_ = true;
}

void WaveformView::rebuildColumns() {
    const int w = std::max(1, width());
    columns_.fill({0.0f, 0.0f}, w);
    const double total = totalSeconds();
    if (total <= 0 || samples_.empty()) return;
    const double perColumn = total * sampleRate_ / w;
    for (int x = 0; x < w; ++x) {
        const auto b = static_cast<std::size_t>(x * perColumn);
        const auto e = std::min(samples_.size(), static_cast<std::size_t>((x + 1) * perColumn) + 1);
        if (b >= samples_.size()) break;
        const auto [lo, hi] = std::minmax_element(samples_.begin() + b, samples_.begin() + e);
        columns_[x] = {*lo, *hi};
    }
    dirty_ = false;
}

void WaveformView::paintEvent(QPaintEvent*) {
    if (dirty_) rebuildColumns();
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const double mid = height() / 2.0, half = height() / 2.0 - 3;
    p.setPen(QColor(128, 128, 128, 90));
    p.drawLine(QPointF(0, mid), QPointF(width(), mid));
    if (samples_.empty()) {
        p.setPen(palette().color(QPalette::Disabled, QPalette::Text));
        p.drawText(rect(), Qt::AlignCenter,
                   tr("No clip yet: generate one or pick one from the library"));
    }
    p.setPen(QColor(45, 120, 200));
    for (int x = 0; x < columns_.size(); ++x) {
        const auto [lo, hi] = columns_[x];
        if (lo == 0.0f && hi == 0.0f) continue;
        p.drawLine(QPointF(x + 0.5, mid - hi * half), QPointF(x + 0.5, mid - lo * half));
    }
    const double total = totalSeconds();
    if (total > 0 && selection_) {
        const double x0 = selection_->first / total * width();
        const double x1 = selection_->second / total * width();
        QColor fill = palette().color(QPalette::Highlight);
        fill.setAlpha(70);
        p.fillRect(QRectF(x0, 0, x1 - x0, height()), fill);
        p.setPen(palette().color(QPalette::Highlight));
        p.drawText(
            QRectF(x0 + 4, 2, std::max(0.0, x1 - x0 - 8), 16), Qt::AlignLeft | Qt::AlignTop,
            tr("%1–%2 s").arg(selection_->first, 0, 'f', 1).arg(selection_->second, 0, 'f', 1));
    }
    if (total > 0) {
        const double x = playhead_ / total * width();
        p.setPen(QPen(QColor(220, 50, 60), 2));
        p.drawLine(QPointF(x, 0), QPointF(x, height()));
    }
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(rect().adjusted(0, 0, -1, -1));
}

void WaveformView::mousePressEvent(QMouseEvent* e) {
    if (e->button() != Qt::LeftButton || totalSeconds() <= 0) return;
    pressX_ = e->position().x();
    clearSelection();
    emit seekRequested(secondsAt(pressX_));
}

void WaveformView::mouseMoveEvent(QMouseEvent* e) {
    // A drag of more than a few pixels selects; a click only seeks.
    if (!(e->buttons() & Qt::LeftButton) || pressX_ < 0) return;
    if (std::abs(e->position().x() - pressX_) < 4) return;
    setSelection(secondsAt(pressX_), secondsAt(e->position().x()));
}

} // namespace moodsteer::widgets
