// The emotion guidance box of the prompt panel and the session view (Recipe::emotionGuidance):
// a scale, or at its minimum, shown as "as guidance", none (plain classifier-free guidance).
#pragma once

#include <QDoubleSpinBox>

#include <optional>

namespace moodsteer::widgets {

class EmotionGuidanceBox : public QDoubleSpinBox {
    Q_OBJECT
  public:
    EmotionGuidanceBox(const QString& toolTip, QWidget* parent = nullptr);
    /// Unset: the minimum ("as guidance").
    void setScale(std::optional<double> scale);
    std::optional<double> scale() const;
};

} // namespace moodsteer::widgets
