#include "widgets/LevelMeter.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace moodsteer::widgets {

LevelMeter::LevelMeter(QWidget* parent) : QWidget(parent) {
    setToolTip(tr("Output level (dBFS); red means the signal reaches full scale"));
    setMinimumWidth(14);
    clock_.start();
}

double LevelMeter::toDb(float linear) {
    return linear > 0 ? std::max(kFloorDb, 20.0 * std::log10(double(linear))) : kFloorDb;
}

void LevelMeter::setPeak(float linearPeak) {
    const qint64 now = clock_.elapsed();
    const double dt = (now - lastMs_) / 1000.0;
    lastMs_ = now;
    const double db = toDb(linearPeak);
    levelDb_ = std::max(db, std::max(kFloorDb, levelDb_ - 20.0 * dt));
    if (db >= holdDb_ || now - holdSetMs_ > 1500) {
        holdDb_ = db;
        holdSetMs_ = now;
    }
    update();
}

void LevelMeter::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QRectF r = QRectF(rect()).adjusted(1, 1, -1, -1);
    p.fillRect(r, QColor(30, 30, 30));
    auto yOf = [&](double db) { return r.bottom() - (db - kFloorDb) / -kFloorDb * r.height(); };
    const double top = yOf(levelDb_);
    QLinearGradient g(r.bottomLeft(), r.topLeft());
    g.setColorAt(0.0, QColor(40, 180, 80));
    g.setColorAt(0.75, QColor(230, 200, 40));
    g.setColorAt(0.95, QColor(230, 60, 40));
    p.fillRect(QRectF(QPointF(r.left(), top), r.bottomRight()), g);
    p.setPen(QPen(holdDb_ > -1.0 ? QColor(255, 60, 40) : QColor(230, 230, 230), 2));
    const double hy = yOf(holdDb_);
    if (holdDb_ > kFloorDb) p.drawLine(QPointF(r.left(), hy), QPointF(r.right(), hy));
}

} // namespace moodsteer::widgets
