#include "widgets/GenreSteeringPanel.h"

#include "core/steering/SteeringVector.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <exception>

namespace moodsteer::widgets {

GenreSteeringPanel::GenreSteeringPanel(QWidget* parent) : QWidget(parent) {
    box_ = new QGroupBox(tr("Steer the genre"));
    box_->setCheckable(true);
    box_->setChecked(false);
    box_->setToolTip(tr("Adds steering vectors to the decoder's residual stream while the "
                        "clip is generated"));
    source_ = new QComboBox;
    source_->setToolTip(tr("Genre the clip starts in (cross-fade only)"));
    target_ = new QComboBox;
    target_->setToolTip(tr("Genre to steer towards"));
    alphaSlider_ = new QSlider(Qt::Horizontal);
    alphaSlider_->setRange(-1 * kAlphaScale, 2 * kAlphaScale);
    alphaSlider_->setToolTip(tr("Strength α, relative to the activation's norm (negative: away "
                                "from the genre)"));
    alpha_ = new QDoubleSpinBox;
    alpha_->setRange(-1.0, 2.0);
    alpha_->setSingleStep(0.05);
    alpha_->setDecimals(2);
    layer_ = new QSpinBox;
    layer_->setRange(-1, 47);
    layer_->setSpecialValueText(tr("auto"));
    layer_->setValue(-1);
    layer_->setToolTip(tr("Decoder layer to steer; auto = the best layer from the layer "
                          "explorer, else the layer stored with the vector"));
    shape_ = new QComboBox;
    shape_->addItems({tr("Constant"), tr("Ramp up"), tr("Cross-fade source → target")});
    shape_->setToolTip(tr("How the strength evolves over the clip"));
    status_ = new QLabel;
    status_->setWordWrap(true);
    load_ = new QPushButton(tr("Load vectors…"));
    load_->setToolTip(tr("A folder of steering-vector files (moodsteer-cli steer make)"));
    ab_ = new QPushButton(tr("A/B vs unsteered"));
    ab_->setToolTip(tr("Generates the recipe twice with the same seed, without (A) and with "
                       "(B) steering, and sets them up for A/B comparison"));

    auto* alphaRow = new QHBoxLayout;
    alphaRow->addWidget(alphaSlider_, 1);
    alphaRow->addWidget(alpha_);
    auto* form = new QFormLayout(box_);
    form->addRow(tr("Source"), source_);
    form->addRow(tr("Target"), target_);
    form->addRow(tr("Strength α"), alphaRow);
    form->addRow(tr("Layer"), layer_);
    form->addRow(tr("Transition"), shape_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(load_);
    buttons->addStretch();
    buttons->addWidget(ab_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(box_);
    layout->addLayout(buttons);
    layout->addWidget(status_);
    layout->addStretch(1);

    connect(alphaSlider_, &QSlider::valueChanged, this, [this](int v) {
        const QSignalBlocker block(alpha_);
        alpha_->setValue(double(v) / kAlphaScale);
        emit steeringChanged();
    });
    connect(alpha_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        const QSignalBlocker block(alphaSlider_);
        alphaSlider_->setValue(int(std::lround(v * kAlphaScale)));
        emit steeringChanged();
    });
    for (QComboBox* c : {source_, target_, shape_})
        connect(c, &QComboBox::currentIndexChanged, this, [this] {
            updateEnabled();
            emit steeringChanged();
        });
    connect(layer_, &QSpinBox::valueChanged, this, &GenreSteeringPanel::steeringChanged);
    connect(box_, &QGroupBox::toggled, this, [this] {
        updateEnabled();
        emit steeringChanged();
    });
    connect(load_, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Steering vectors"));
        if (folder.isEmpty()) return;
        loadFolder(folder, modelId_);
        emit folderLoaded(folder);
    });
    connect(ab_, &QPushButton::clicked, this, &GenreSteeringPanel::abRequested);
    setAlpha(0.5);
    refill();
}

int GenreSteeringPanel::loadFolder(const QString& folder, const QString& modelId) {
    QVector<Vector> found;
    QStringList skipped;
    const QDir dir(folder);
    for (const QString& name : dir.entryList({"*.safetensors"}, QDir::Files, QDir::Name)) {
        const QString path = dir.filePath(name);
        try {
            const SteeringVector v =
                SteeringVector::load(path.toStdString(), modelId.toStdString());
            found.push_back({QString::fromStdString(v.label), path, v.layer});
        } catch (const std::exception&) {
            skipped << name;
        }
    }
    setVectors(found);
    QString text = tr("%n steering vector(s) from %1", nullptr, int(found.size())).arg(folder);
    if (!skipped.isEmpty())
        text += tr("; skipped (not a steering vector for this model): %1").arg(skipped.join(", "));
    status_->setText(text);
    return int(found.size());
}

void GenreSteeringPanel::setVectors(const QVector<Vector>& vectors) {
    vectors_ = vectors;
    refill();
    emit steeringChanged();
}

void GenreSteeringPanel::refill() {
    const QString keepSource = source_->currentData().toString();
    const QString keepTarget = target_->currentData().toString();
    const QSignalBlocker b1(source_), b2(target_);
    source_->clear();
    target_->clear();
    source_->addItem(tr("(none)"), QString());
    for (const Vector& v : vectors_) {
        const QString text = v.layer >= 0 ? tr("%1 (layer %2)").arg(v.label).arg(v.layer) : v.label;
        source_->addItem(text, v.label);
        target_->addItem(text, v.label);
    }
    setSource(keepSource);
    if (!keepTarget.isEmpty()) setTarget(keepTarget);
    if (vectors_.isEmpty())
        status_->setText(tr("No steering vectors loaded: make them with `moodsteer-cli steer "
                            "make` and load their folder."));
    updateEnabled();
}

void GenreSteeringPanel::updateEnabled() {
    const bool any = !vectors_.isEmpty();
    box_->setEnabled(any);
    source_->setEnabled(shape() == Shape::CrossFade);
    ab_->setEnabled(isActive());
}

void GenreSteeringPanel::setBestLayer(int layer) {
    bestLayer_ = layer;
    layer_->setSpecialValueText(layer >= 0 ? tr("auto (best: %1)").arg(layer) : tr("auto"));
    emit steeringChanged();
}

void GenreSteeringPanel::setNumLayers(int layers) {
    layer_->setMaximum(std::max(0, layers - 1));
}

const GenreSteeringPanel::Vector* GenreSteeringPanel::find(const QString& label) const {
    for (const Vector& v : vectors_)
        if (v.label == label) return &v;
    return nullptr;
}

bool GenreSteeringPanel::isActive() const {
    return box_->isChecked() && !vectors_.isEmpty() && target_->currentIndex() >= 0;
}

std::vector<SteeringSpec> GenreSteeringPanel::steering() const {
    std::vector<SteeringSpec> out;
    if (!isActive()) return out;
    const int chosenLayer = layer() >= 0 ? layer() : bestLayer_; // -1: the vector's own
    auto spec = [&](const Vector& v, SteeringSchedule schedule) {
        SteeringSpec s;
        s.vectorPath = v.path.toStdString();
        s.label = v.label.toStdString();
        s.layer = chosenLayer;
        s.alpha = alpha();
        s.schedule = schedule;
        return s;
    };
    const Vector* target = find(target_->currentData().toString());
    if (!target) return out;
    switch (shape()) {
    case Shape::Constant:
        out.push_back(spec(*target, SteeringSchedule::Constant));
        break;
    case Shape::Ramp:
        out.push_back(spec(*target, SteeringSchedule::RampUp));
        break;
    case Shape::CrossFade:
        if (const Vector* source = find(source_->currentData().toString());
            source && source != target)
            out.push_back(spec(*source, SteeringSchedule::RampDown));
        out.push_back(spec(*target, SteeringSchedule::RampUp));
        break;
    }
    return out;
}

void GenreSteeringPanel::setSource(const QString& label) {
    const int i = source_->findData(label);
    source_->setCurrentIndex(i >= 0 ? i : 0);
}

void GenreSteeringPanel::setTarget(const QString& label) {
    const int i = target_->findData(label);
    if (i >= 0) target_->setCurrentIndex(i);
}

void GenreSteeringPanel::setAlpha(double alpha) {
    alpha_->setValue(alpha);
}

double GenreSteeringPanel::alpha() const {
    return alpha_->value();
}

void GenreSteeringPanel::setShape(Shape shape) {
    shape_->setCurrentIndex(static_cast<int>(shape));
}

GenreSteeringPanel::Shape GenreSteeringPanel::shape() const {
    return static_cast<Shape>(std::max(0, shape_->currentIndex()));
}

void GenreSteeringPanel::setLayer(int layer) {
    layer_->setValue(layer);
}

int GenreSteeringPanel::layer() const {
    return layer_->value();
}

QString GenreSteeringPanel::statusText() const {
    return status_->text();
}

} // namespace moodsteer::widgets
