// Genre steering: source and target genre (from steering-vector files), strength alpha, the
// layer (default: the best layer the layer explorer found, else the layer stored with the
// vector) and the transition over the clip, turned into Recipe::steering:
//   constant   -> target at alpha for the whole clip
//   ramp       -> target ramping up from 0 to alpha
//   cross-fade -> source ramping down from alpha to 0 while the target ramps up (the
//                 engine's CrossFade), so the clip moves from one genre to the other.
// "A/B vs unsteered" asks for the same recipe and seed with and without steering.
#pragma once

#include "core/engine/Recipe.h"

#include <QString>
#include <QVector>
#include <QWidget>

#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;

namespace moodsteer::widgets {

class GenreSteeringPanel : public QWidget {
    Q_OBJECT
  public:
    enum class Shape { Constant = 0, Ramp = 1, CrossFade = 2 };
    /// One steering vector the user can pick (a genre, or valence/arousal).
    struct Vector {
        QString label;
        QString path;
        int layer = -1; ///< stored with the vector
    };
    /// The alpha slider works in hundredths.
    static constexpr int kAlphaScale = 100;

    explicit GenreSteeringPanel(QWidget* parent = nullptr);

    /// Reads every *.safetensors steering vector in `folder`; files that are not steering
    /// vectors or were made for another model (when `modelId` is given) are skipped and
    /// named in the status line. Returns the number loaded.
    int loadFolder(const QString& folder, const QString& modelId = {});
    void setVectors(const QVector<Vector>& vectors);
    const QVector<Vector>& vectors() const { return vectors_; }
    /// The layer the explorer found best (-1: none, use the vector's own layer).
    void setBestLayer(int layer);
    void setNumLayers(int layers);
    /// Vectors loaded through the panel's button must have been made for this model.
    void setModelId(const QString& id) { modelId_ = id; }

    /// Steering on and at least a target chosen.
    bool isActive() const;
    /// Recipe::steering for the current settings (empty when not active).
    std::vector<SteeringSpec> steering() const;

    void setSource(const QString& label); ///< "" = none
    void setTarget(const QString& label);
    void setAlpha(double alpha);
    double alpha() const;
    void setShape(Shape shape);
    Shape shape() const;
    /// -1: automatic (best layer, else the vector's).
    void setLayer(int layer);
    int layer() const;
    /// The layer explorer's best layer, used when the layer is "auto" (-1: none yet).
    int bestLayer() const { return bestLayer_; }
    QString statusText() const;

    QGroupBox* enableBox() const { return box_; }
    QSlider* alphaSlider() const { return alphaSlider_; }
    QPushButton* abButton() const { return ab_; }

  signals:
    void steeringChanged();
    /// Generate the current recipe unsteered (A) and steered (B) with the same seed.
    void abRequested();
    /// A folder was loaded through the panel's button (to remember it).
    void folderLoaded(const QString& folder);

  private:
    void refill();
    void updateEnabled();
    const Vector* find(const QString& label) const;

    QVector<Vector> vectors_;
    int bestLayer_ = -1;
    QString modelId_;
    QGroupBox* box_;
    QComboBox* source_;
    QComboBox* target_;
    QSlider* alphaSlider_;
    QDoubleSpinBox* alpha_;
    QSpinBox* layer_;
    QComboBox* shape_;
    QLabel* status_;
    QPushButton* load_;
    QPushButton* ab_;
};

} // namespace moodsteer::widgets
