// Output level meter (dBFS, -60..0) with falling bar and a peak hold; fed with the player's
// peak a few dozen times a second.
#pragma once

#include <QElapsedTimer>
#include <QWidget>

namespace moodsteer::widgets {

class LevelMeter : public QWidget {
    Q_OBJECT
  public:
    static constexpr double kFloorDb = -60.0;
    explicit LevelMeter(QWidget* parent = nullptr);

    /// A new linear peak (0..1+); the bar falls at ~20 dB/s, the hold mark stays 1.5 s.
    void setPeak(float linearPeak);
    double levelDb() const { return levelDb_; }
    double holdDb() const { return holdDb_; }
    static double toDb(float linear);

    QSize sizeHint() const override { return {18, 90}; }

  protected:
    void paintEvent(QPaintEvent*) override;

  private:
    double levelDb_ = kFloorDb;
    double holdDb_ = kFloorDb;
    QElapsedTimer clock_;
    qint64 lastMs_ = 0;
    qint64 holdSetMs_ = 0;
};

} // namespace moodsteer::widgets
