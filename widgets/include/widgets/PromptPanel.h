// The prompt panel: the model chooser (ModelChooser), text, duration, seed (new seed / lock),
// guidance, temperature, top-k, the KV cache precision and the emotion target (valence-arousal pad)
// with its conditioning mode. Produces a Recipe.
#pragma once

#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"
#include "widgets/CoreMetaTypes.h"
#include "widgets/VaPad.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace moodsteer::widgets {

class EmotionGuidanceBox;

class ModelChooser;

class PromptPanel : public QWidget {
    Q_OBJECT
  public:
    enum class EmotionMode { AvEncoder = 0, TextBaseline = 1, Off = 2 };

    explicit PromptPanel(QWidget* parent = nullptr);

    VaPad* pad() const { return pad_; }
    ModelChooser* modelChooser() const { return chooser_; }
    QPlainTextEdit* promptEdit() const { return prompt_; }

    /// The recipe the fields describe (current seed, no change).
    Recipe recipe() const;
    /// The recipe for the next generation: rolls a new seed first unless the seed is locked.
    Recipe nextRecipe();
    /// Shows a clip's recipe (to regenerate it exactly) and locks its seed.
    void setRecipe(const Recipe& recipe);

    /// Adapts the choices to the loaded model (AV mode needs an AV encoder; duration limit;
    /// token-id prompts when the model has no tokenizer).
    void setModelInfo(const ModelInfo& info, const QString& modelId);
    void setEmotionMode(EmotionMode mode);
    EmotionMode emotionMode() const;
    void setSeed(std::uint64_t seed);
    std::uint64_t seed() const;
    bool seedLocked() const;
    /// Takes per generation (1..limits::kMaxTakes; GenerationController::generate).
    int takes() const;
    void setTakes(int takes);
    void setSeedLocked(bool locked);
    /// Self-attention cache precision of the next clips: "" (the engine's default for the
    /// loaded weights), "f32", "bf16" or "int8"; anything else selects the default.
    void setKvCache(const QString& precision);
    QString kvCache() const;
    QComboBox* kvCacheBox() const { return kvCache_; }
    /// The valence/arousal token's own guidance (Recipe::emotionGuidance), in the AV mode:
    /// unset ("as guidance", the box at its minimum) or a scale; the model's default
    /// (ModelInfo::defaultEmotionGuidance) when a model is set.
    EmotionGuidanceBox* emotionGuidanceBox() const { return emotionGuidance_; }

    /// "Generate a [word] music." (LARA-Gen's text baseline), `word` from the pad.
    static QString baselinePrompt(const QString& userText, const QString& word);
    /// "ids: 3 7 1" -> {3, 7, 1}; empty when the text is not an id list.
    static std::vector<std::int64_t> parsePromptIds(const QString& text);

  signals:
    void recipeChanged();

  private:
    void updateEmotionLabel();
    void rollSeed();

    ModelChooser* chooser_;
    QPlainTextEdit* prompt_;
    QDoubleSpinBox* seconds_;
    QLineEdit* seed_;
    QCheckBox* lockSeed_;
    QDoubleSpinBox* guidance_;
    EmotionGuidanceBox* emotionGuidance_;
    QDoubleSpinBox* temperature_;
    QSpinBox* topK_;
    QSpinBox* takes_;
    QComboBox* kvCache_;
    QComboBox* mode_;
    QLabel* emotionLabel_;
    VaPad* pad_;
    QString modelId_ = "embedded";
    bool hasTokenizer_ = true;
};

} // namespace moodsteer::widgets
