// The valence-arousal pad: Russell's circumplex plane with valence on x and arousal on y
// (1-9), tinted quadrants, the emotion words nearest the target, the target point (mouse
// drag or arrow keys) and the predicted point of the last clip.
#pragma once

#include "widgets/VaWordList.h"

#include <QPointF>
#include <QVector>
#include <QWidget>

#include <optional>

namespace moodsteer::widgets {

class VaPad : public QWidget {
    Q_OBJECT
  public:
    static constexpr double kMin = 1.0;
    static constexpr double kMax = 9.0;
    /// Arrow keys move by kStep, with Shift by kBigStep.
    static constexpr double kStep = 0.1;
    static constexpr double kBigStep = 1.0;
    /// Words labelled around the target (chosen nearest-first among kCandidateWords so that
    /// labels never overlap: readable, not cluttered).
    static constexpr int kShownWords = 10;
    static constexpr int kCandidateWords = 300;

    explicit VaPad(QWidget* parent = nullptr);

    void setWords(VaWordList words);
    const VaWordList& words() const { return words_; }

    double valence() const { return target_.x(); }
    double arousal() const { return target_.y(); }
    /// Clamped to [1, 9]; emits targetChanged when it changes.
    void setTarget(double valence, double arousal);
    void setPredicted(std::optional<QPointF> valenceArousal);
    std::optional<QPointF> predicted() const { return predicted_; }
    /// A session's target path (valence, arousal points from start to end), drawn as a line;
    /// empty hides it.
    void setPath(const QVector<QPointF>& valenceArousal);
    const QVector<QPointF>& path() const { return path_; }
    /// The word nearest the target ("" without a word list).
    QString nearestWord() const { return nearestWord_; }

    /// The plot area inside the widget (axes and tick labels live outside it).
    QRectF plotRect() const;
    static QPointF valueToPixel(double valence, double arousal, const QRectF& plot);
    /// Clamped to [1, 9] on both axes.
    static QPointF pixelToValue(const QPointF& pixel, const QRectF& plot);

    QSize sizeHint() const override { return {360, 360}; }
    QSize minimumSizeHint() const override { return {220, 220}; }

  signals:
    void targetChanged(double valence, double arousal);
    void nearestWordChanged(const QString& word);

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void keyPressEvent(QKeyEvent*) override;

  private:
    void updateNearest();

    VaWordList words_;
    QPointF target_{5.0, 5.0};
    std::optional<QPointF> predicted_;
    QVector<QPointF> path_;
    QString nearestWord_;
    QVector<VaWord> shown_;
};

} // namespace moodsteer::widgets
