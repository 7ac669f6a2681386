#include "widgets/VariationsDialog.h"

#include "core/engine/Recipe.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointF>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

namespace moodsteer::widgets {

VariationsDialog::VariationsDialog(const QString& clipName, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Variations of %1").arg(clipName));
    count_ = new QSpinBox(this);
    count_->setRange(1, Recipe::kMaxVariations);
    count_->setValue(4);
    count_->setToolTip(tr("How many variations to make; they appear as one group in the library"));
    similarity_ = new QSlider(Qt::Horizontal, this);
    similarity_->setRange(5, 100); // s = value / 100, in (0, 1]
    similarity_->setValue(50);
    similarity_->setToolTip(tr("Low: close to the piece (its structure is kept); high: freer, "
                               "more novel"));
    similarityLabel_ = new QLabel(this);
    similarityLabel_->setMinimumWidth(
        similarityLabel_->fontMetrics().horizontalAdvance(tr("1.00 (free)  ")));
    emotion_ = new QComboBox(this);
    // Item data: QPointF(valence shift, arousal shift) in rating units.
    emotion_->addItem(tr("Keep the emotion"), QPointF(0, 0));
    emotion_->addItem(tr("Calmer (arousal −2)"), QPointF(0, -2));
    emotion_->addItem(tr("Much calmer (arousal −4)"), QPointF(0, -4));
    emotion_->addItem(tr("More energetic (arousal +2)"), QPointF(0, 2));
    emotion_->addItem(tr("Much more energetic (arousal +4)"), QPointF(0, 4));
    emotion_->addItem(tr("Brighter (valence +2)"), QPointF(2, 0));
    emotion_->addItem(tr("Darker (valence −2)"), QPointF(-2, 0));
    emotion_->addItem(tr("Calmer and brighter (valence +2, arousal −2)"), QPointF(2, -2));
    // Rich text, so that the long tip is word-wrapped.
    emotion_->setToolTip(
        tr("<p>The variations follow the piece's emotion curve (arousal and "
           "valence over time), moved by this much. A shift shows most at "
           "the free end of Novelty; close variations keep the piece's own "
           "dynamics. The shipped model follows arousal shifts only in part "
           "and valence shifts hardly at all (its model card has the figures)</p>"));
    seed_ = new QSpinBox(this);
    seed_->setRange(0, 1 << 30);
    seed_->setValue(1);
    seed_->setToolTip(tr("Variation i uses seed + i: the same settings and seed remake them"));

    auto* similarityRow = new QHBoxLayout;
    similarityRow->addWidget(new QLabel(tr("close"), this));
    similarityRow->addWidget(similarity_, 1);
    similarityRow->addWidget(new QLabel(tr("free"), this));
    similarityRow->addWidget(similarityLabel_);
    auto* form = new QFormLayout;
    form->addRow(tr("Variations:"), count_);
    form->addRow(tr("Novelty:"), similarityRow);
    form->addRow(tr("Emotion:"), emotion_);
    form->addRow(tr("Seed:"), seed_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Make variations"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("New pieces like this one: the same structure, style and "
                                "emotional shape, with the novelty you choose."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(similarity_, &QSlider::valueChanged, this, &VariationsDialog::updateSimilarityLabel);
    updateSimilarityLabel();
}

void VariationsDialog::updateSimilarityLabel() {
    const double s = similarity_->value() / 100.0;
    similarityLabel_->setText(s >= 1.0 ? tr("%1 (free)").arg(s, 0, 'f', 2)
                                       : QString::number(s, 'f', 2));
}

VariationSettings VariationsDialog::settings() const {
    VariationSettings s;
    s.count = count_->value();
    s.similarity = similarity_->value() / 100.0;
    const QPointF shift = emotion_->currentData().toPointF();
    s.shiftValence = shift.x();
    s.shiftArousal = shift.y();
    s.seed = static_cast<std::uint64_t>(seed_->value());
    return s;
}

void VariationsDialog::setSettings(const VariationSettings& s) {
    count_->setValue(s.count);
    similarity_->setValue(static_cast<int>(std::lround(s.similarity * 100)));
    const int i = emotion_->findData(QPointF(s.shiftValence, s.shiftArousal));
    emotion_->setCurrentIndex(i >= 0 ? i : 0);
    seed_->setValue(static_cast<int>(s.seed));
}

} // namespace moodsteer::widgets
