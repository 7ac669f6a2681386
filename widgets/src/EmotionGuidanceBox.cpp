#include "widgets/EmotionGuidanceBox.h"

namespace moodsteer::widgets {

EmotionGuidanceBox::EmotionGuidanceBox(const QString& toolTip, QWidget* parent)
    : QDoubleSpinBox(parent) {
    setRange(-0.5, 15.0); // the minimum stands for no scale of its own
    setSingleStep(0.5);
    setSpecialValueText(tr("as guidance"));
    setValue(minimum());
    setToolTip(toolTip);
}

void EmotionGuidanceBox::setScale(std::optional<double> scale) {
    setValue(scale ? *scale : minimum());
}

std::optional<double> EmotionGuidanceBox::scale() const {
    if (value() <= minimum()) return std::nullopt;
    return value();
}

} // namespace moodsteer::widgets
