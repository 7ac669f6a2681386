// "Variations…" on a library clip: how many, how close to the source (the similarity s of
// the latent diffusion: small = close, 1 = free), and whether to keep the source's emotion or
// shift it (calmer = arousal -2, ...). accepted() then settings().
#pragma once

#include "widgets/VariationSettings.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace moodsteer::widgets {

class VariationsDialog : public QDialog {
    Q_OBJECT
  public:
    explicit VariationsDialog(const QString& clipName, QWidget* parent = nullptr);

    VariationSettings settings() const;
    void setSettings(const VariationSettings& settings);

    QSpinBox* countBox() const { return count_; }
    QSlider* similaritySlider() const { return similarity_; }
    QComboBox* emotionBox() const { return emotion_; }
    QSpinBox* seedBox() const { return seed_; }

  private:
    void updateSimilarityLabel();

    QSpinBox* count_;
    QSlider* similarity_;
    QLabel* similarityLabel_;
    QComboBox* emotion_;
    QSpinBox* seed_;
};

} // namespace moodsteer::widgets
