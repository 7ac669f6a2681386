#include "widgets/PromptPanel.h"

#include "core/engine/ValueLimits.h"
#include "widgets/EmotionGuidanceBox.h"
#include "widgets/ModelChooser.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QVBoxLayout>

namespace moodsteer::widgets {

PromptPanel::PromptPanel(QWidget* parent) : QWidget(parent) {
    chooser_ = new ModelChooser(this);
    prompt_ = new QPlainTextEdit(this);
    prompt_->setPlaceholderText(tr("Describe the music, e.g. \"gentle piano with soft strings\""));
    prompt_->setTabChangesFocus(true);
    prompt_->setFixedHeight(64);
    prompt_->setToolTip(tr("Text prompt (Ctrl+Enter generates)"));

    seconds_ = new QDoubleSpinBox(this);
    seconds_->setRange(0.5, 30.0);
    seconds_->setDecimals(1);
    seconds_->setSingleStep(0.5);
    seconds_->setValue(8.0);
    seconds_->setSuffix(tr(" s"));
    seconds_->setToolTip(tr("Length of the clip"));

    takes_ = new QSpinBox(this);
    takes_->setRange(1, limits::kMaxTakes);
    takes_->setValue(1);
    takes_->setToolTip(tr("Clips made in one batch (seeds seed, seed + 1, ...), grouped in the "
                          "library for A/B; a batch costs little more than one clip"));
    auto* lengthRow = new QHBoxLayout;
    lengthRow->addWidget(seconds_, 1);
    lengthRow->addWidget(new QLabel(tr("Takes"), this));
    lengthRow->addWidget(takes_);

    seed_ = new QLineEdit(this);
    seed_->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{1,19}"), seed_));
    seed_->setToolTip(tr("Random seed: the same recipe and seed give the same clip"));
    auto* newSeed = new QPushButton(tr("New"), this);
    newSeed->setToolTip(tr("Draw a new random seed"));
    lockSeed_ = new QCheckBox(tr("Lock"), this);
    lockSeed_->setToolTip(tr("Keep this seed for the next generations"));
    auto* seedRow = new QHBoxLayout;
    seedRow->addWidget(seed_, 1);
    seedRow->addWidget(newSeed);
    seedRow->addWidget(lockSeed_);

    guidance_ = new QDoubleSpinBox(this);
    guidance_->setRange(0.0, 15.0);
    guidance_->setSingleStep(0.5);
    guidance_->setValue(3.0);
    guidance_->setToolTip(tr("Classifier-free guidance: higher follows the prompt more"));
    temperature_ = new QDoubleSpinBox(this);
    temperature_->setRange(0.05, 3.0);
    temperature_->setSingleStep(0.05);
    temperature_->setValue(1.0);
    temperature_->setToolTip(tr("Sampling temperature: lower is more conservative"));
    topK_ = new QSpinBox(this);
    topK_->setRange(0, 2048);
    topK_->setValue(250);
    topK_->setToolTip(tr("Sample among the k most likely codes (0: all)"));
    kvCache_ = new QComboBox(this);
    kvCache_->addItem(tr("default"), QString());
    for (const char* p : {"f32", "bf16", "int8"})
        kvCache_->addItem(QString::fromLatin1(p), QString::fromLatin1(p));
    kvCache_->setToolTip(
        tr("Precision of the attention cache while decoding (kept in the recipe): the default "
           "follows the weights (f32 with f32, bf16 with bf16, int8 with int8 or int4); int8 reads "
           "about half the bytes of bf16 at long contexts (docs/performance.md)"));
    auto* sampling = new QHBoxLayout;
    sampling->addWidget(new QLabel(tr("Guidance"), this));
    sampling->addWidget(guidance_);
    sampling->addWidget(new QLabel(tr("Temp."), this));
    sampling->addWidget(temperature_);
    sampling->addWidget(new QLabel(tr("Top-k"), this));
    sampling->addWidget(topK_);
    sampling->addWidget(new QLabel(tr("KV cache"), this));
    sampling->addWidget(kvCache_);

    mode_ = new QComboBox(this);
    mode_->setObjectName("emotionMode");
    mode_->addItem(tr("Valence–arousal (AV encoder)"));
    mode_->addItem(tr("Text baseline (nearest word)"));
    mode_->addItem(tr("No emotion target"));
    mode_->setToolTip(tr("How the emotion target conditions the model: the AV encoder "
                         "(LARA-Gen), or the nearest emotion word added to the prompt"));
    emotionGuidance_ = new EmotionGuidanceBox(
        tr("Guidance of the valence/arousal target alone: higher follows the emotion (and an "
           "emotion path) more closely, while the prompt keeps its own guidance; but a genre in "
           "the prompt holds less. It adds a third row to every decode step"),
        this);
    emotionGuidance_->setObjectName("emotionGuidance");
    auto* emotionRow = new QHBoxLayout;
    emotionRow->addWidget(mode_, 1);
    emotionRow->addWidget(new QLabel(tr("Emotion guidance"), this));
    emotionRow->addWidget(emotionGuidance_);
    emotionLabel_ = new QLabel(this);
    emotionLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    pad_ = new VaPad(this);

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Model"), chooser_);
    form->addRow(tr("Prompt"), prompt_);
    form->addRow(tr("Length"), lengthRow);
    form->addRow(tr("Seed"), seedRow);
    form->addRow(tr("Sampling"), sampling);
    form->addRow(tr("Emotion"), emotionRow);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(pad_, 1);
    layout->addWidget(emotionLabel_);

    rollSeed();
    connect(newSeed, &QPushButton::clicked, this, &PromptPanel::rollSeed);
    connect(pad_, &VaPad::targetChanged, this, [this] { updateEmotionLabel(); });
    connect(pad_, &VaPad::nearestWordChanged, this, [this] { updateEmotionLabel(); });
    connect(mode_, &QComboBox::currentIndexChanged, this, [this] {
        pad_->setEnabled(emotionMode() != EmotionMode::Off);
        emotionGuidance_->setEnabled(emotionMode() == EmotionMode::AvEncoder);
        updateEmotionLabel();
    });
    for (auto* w : {static_cast<QWidget*>(seconds_), static_cast<QWidget*>(guidance_),
                    static_cast<QWidget*>(temperature_), static_cast<QWidget*>(topK_)})
        w->setMinimumWidth(64);
    connect(prompt_, &QPlainTextEdit::textChanged, this, &PromptPanel::recipeChanged);
    updateEmotionLabel();
}

void PromptPanel::rollSeed() {
    // 31 bits keep the number short enough to read out and type back in.
    setSeed(QRandomGenerator::global()->bounded(1u << 31));
}

void PromptPanel::setSeed(std::uint64_t seed) {
    seed_->setText(QString::number(seed));
}
std::uint64_t PromptPanel::seed() const {
    return seed_->text().toULongLong();
}
void PromptPanel::setKvCache(const QString& precision) {
    const int i = kvCache_->findData(precision);
    kvCache_->setCurrentIndex(i < 0 ? 0 : i);
}
QString PromptPanel::kvCache() const {
    return kvCache_->currentData().toString();
}
int PromptPanel::takes() const {
    return takes_->value();
}

void PromptPanel::setTakes(int takes) {
    takes_->setValue(takes);
}

bool PromptPanel::seedLocked() const {
    return lockSeed_->isChecked();
}
void PromptPanel::setSeedLocked(bool locked) {
    lockSeed_->setChecked(locked);
}

PromptPanel::EmotionMode PromptPanel::emotionMode() const {
    return static_cast<EmotionMode>(mode_->currentIndex());
}

void PromptPanel::setEmotionMode(EmotionMode mode) {
    mode_->setCurrentIndex(int(mode));
}

QString PromptPanel::baselinePrompt(const QString& userText, const QString& word) {
    const QString sentence = QStringLiteral("Generate a %1 music.").arg(word.toLower());
    const QString text = userText.trimmed();
    return text.isEmpty() ? sentence : text + ". " + sentence;
}

std::vector<std::int64_t> PromptPanel::parsePromptIds(const QString& text) {
    const QString t = text.trimmed();
    if (!t.startsWith("ids:")) return {};
    std::vector<std::int64_t> ids;
    for (const QString& part : t.mid(4).split(QRegularExpression("[\\s,]+"), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qlonglong v = part.toLongLong(&ok);
        if (!ok || v < 0) return {};
        ids.push_back(v);
    }
    return ids;
}

Recipe PromptPanel::recipe() const {
    Recipe r;
    r.model = modelId_.toStdString();
    const QString text = prompt_->toPlainText().trimmed();
    const auto ids = parsePromptIds(text);
    if (!ids.empty())
        r.promptIds = ids;
    else
        r.prompt = text.toStdString();
    switch (emotionMode()) {
    case EmotionMode::AvEncoder:
        r.valence = pad_->valence();
        r.arousal = pad_->arousal();
        r.emotionGuidance = emotionGuidance_->scale();
        break;
    case EmotionMode::TextBaseline:
        if (ids.empty() && !pad_->nearestWord().isEmpty())
            r.prompt = baselinePrompt(text, pad_->nearestWord()).toStdString();
        break;
    case EmotionMode::Off:
        break;
    }
    r.seed = seed();
    r.guidance = guidance_->value();
    r.temperature = temperature_->value();
    r.topK = topK_->value();
    r.seconds = seconds_->value();
    r.kvCache = kvCache().toStdString();
    return r;
}

Recipe PromptPanel::nextRecipe() {
    if (!seedLocked()) rollSeed();
    return recipe();
}

void PromptPanel::setRecipe(const Recipe& r) {
    if (!r.promptIds.empty()) {
        QStringList ids;
        for (auto id : r.promptIds)
            ids << QString::number(id);
        prompt_->setPlainText("ids: " + ids.join(' '));
    } else {
        prompt_->setPlainText(QString::fromStdString(r.prompt));
    }
    if (r.valence && r.arousal) {
        setEmotionMode(EmotionMode::AvEncoder);
        pad_->setTarget(*r.valence, *r.arousal);
    } else {
        // A baseline prompt already carries its word: regenerate it verbatim.
        setEmotionMode(EmotionMode::Off);
    }
    setSeed(r.seed);
    setSeedLocked(true);
    takes_->setValue(1); // this clip alone (a take's recipe regenerates that take)
    setKvCache(QString::fromStdString(r.kvCache));
    guidance_->setValue(r.guidance);
    emotionGuidance_->setScale(r.emotionGuidance);
    temperature_->setValue(r.temperature);
    topK_->setValue(r.topK);
    seconds_->setValue(r.seconds);
}

void PromptPanel::setModelInfo(const ModelInfo& info, const QString& modelId) {
    modelId_ = modelId;
    hasTokenizer_ = info.hasTokenizer;
    auto* model = qobject_cast<QStandardItemModel*>(mode_->model());
    if (auto* item = model ? model->item(int(EmotionMode::AvEncoder)) : nullptr)
        item->setEnabled(info.hasAvEncoder);
    if (!info.hasAvEncoder && emotionMode() == EmotionMode::AvEncoder)
        setEmotionMode(EmotionMode::TextBaseline);
    if (info.hasAvEncoder && emotionMode() == EmotionMode::TextBaseline)
        setEmotionMode(EmotionMode::AvEncoder);
    if (info.maxFrames > 0 && info.frameRate > 0)
        seconds_->setMaximum(std::max(0.5, info.maxFrames / info.frameRate));
    // Each model brings its own default guidance (generation_config.json): the embedded
    // model follows genre best at 2, MusicGen at 3.
    guidance_->setValue(info.defaultGuidance);
    guidance_->setToolTip(tr("Classifier-free guidance: higher follows the prompt more "
                             "(this model's default: %1)")
                              .arg(info.defaultGuidance));
    emotionGuidance_->setScale(info.hasAvEncoder ? info.defaultEmotionGuidance : std::nullopt);
    prompt_->setPlaceholderText(
        hasTokenizer_ ? tr("Describe the music, e.g. \"gentle piano with soft strings\"")
                      : tr("This model has no tokenizer: enter token ids, e.g. \"ids: 71 1\""));
    updateEmotionLabel();
}

void PromptPanel::updateEmotionLabel() {
    const QString word = pad_->nearestWord();
    QString text = tr("Target: valence %1, arousal %2")
                       .arg(pad_->valence(), 0, 'f', 1)
                       .arg(pad_->arousal(), 0, 'f', 1);
    if (!word.isEmpty()) text += tr(" · nearest word: <b>%1</b>").arg(word.toHtmlEscaped());
    if (emotionMode() == EmotionMode::Off)
        text = tr("No emotion target: the prompt alone conditions the music");
    emotionLabel_->setText(text);
    emit recipeChanged();
}

} // namespace moodsteer::widgets
