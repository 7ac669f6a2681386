#include "widgets/SessionPanel.h"

#include "widgets/EmotionGuidanceBox.h"
#include "widgets/GenerationController.h"
#include "widgets/SessionJob.h"

#include "core/engine/ValueLimits.h"
#include "core/session/MoodWords.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace moodsteer::widgets {
namespace {
QDoubleSpinBox* vaBox(double value, const QString& tip) {
    auto* box = new QDoubleSpinBox;
    box->setRange(1.0, 9.0);
    box->setSingleStep(0.5);
    box->setDecimals(1);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

QString duration(double seconds) {
    const int s = static_cast<int>(std::lround(std::max(0.0, seconds)));
    return QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}
} // namespace

SessionPanel::SessionPanel(EngineClient* engine, GenerationController* controller,
                           AudioPlayer* player, QWidget* parent)
    : QWidget(parent), engine_(engine), controller_(controller), player_(player) {
    timeline_ = new SessionTimeline;
    preset_ = new QComboBox;
    preset_->addItem(tr("Calming (high → low arousal)"), "calm");
    preset_->addItem(tr("Activating (low → high arousal)"), "activate");
    preset_->addItem(tr("Mood lift (low → high valence)"), "lift");
    fromV_ = vaBox(5, tr("Start valence (1-9)"));
    fromA_ = vaBox(8, tr("Start arousal (1-9)"));
    toV_ = vaBox(6, tr("Target valence (1-9)"));
    toA_ = vaBox(2, tr("Target arousal (1-9)"));
    minutes_ = new QDoubleSpinBox;
    minutes_->setRange(0.5, 60.0);
    minutes_->setDecimals(1);
    minutes_->setSingleStep(0.5);
    minutes_->setValue(10.0);
    minutes_->setSuffix(tr(" min"));
    minutes_->setToolTip(tr("Total length of the session"));
    hold_ = new QDoubleSpinBox;
    hold_->setRange(0.0, 59.5);
    hold_->setDecimals(1);
    hold_->setSingleStep(0.5);
    hold_->setValue(2.0);
    hold_->setSuffix(tr(" min"));
    hold_->setToolTip(tr("How long the target is held at the end"));
    smooth_ = new QCheckBox(tr("Smooth"));
    smooth_->setToolTip(tr("Monotone-cubic interpolation between keyframes (else straight lines)"));
    applyPreset_ = new QPushButton(tr("Apply preset"));
    prompt_ = new QLineEdit;
    prompt_->setPlaceholderText(
        tr("Prompt (optional); {word} becomes the mood word of the path, window by window"));
    seed_ = new QSpinBox;
    seed_->setRange(0, 2147483647);
    emotionGuidance_ = new EmotionGuidanceBox(
        tr("Guidance of the emotion path alone. Higher follows the path closer, but the prompt's "
           "genre holds less and calm stretches can fall silent (embedded model, 10-minute "
           "calming session: 8 raised the arousal path's rank correlation from 0.65 to 0.82, "
           "kept a genre named in the prompt in far fewer blocks and left 10 s gaps of "
           "silence in most sessions; docs/sessions.md)"));
    emotionGuidance_->setObjectName("sessionEmotionGuidance");
    emotionCheck_ = new QDoubleSpinBox;
    emotionCheck_->setObjectName("sessionEmotionCheck");
    emotionCheck_->setRange(0.0, limits::kMaxEmotionCheck);
    emotionCheck_->setDecimals(2);
    emotionCheck_->setSingleStep(0.25);
    emotionCheck_->setSpecialValueText(tr("off"));
    emotionCheck_->setValue(Recipe::kSessionEmotionCheck);
    emotionCheck_->setToolTip(
        tr("The emotion head hears each window as it is made; a window whose valence or arousal "
           "is farther than this from the path (mean over its 5 s stretches, 1-9 scale), or "
           "that falls silent for 5 s, is made again with the next seed and the path's own "
           "guidance raised, up to three times, and the closest is kept (embedded model, "
           "10-minute calming session: the arousal path's rank correlation rose from 0.65 to "
           "0.85, while a genre named in the prompt held in fewer blocks; docs/sessions.md). "
           "Each remake costs one window's time. Off: windows are kept as the model makes "
           "them"));
    genre_ = new QComboBox;
    genre_->setToolTip(tr("The genre a drag on the timeline's genre lane (G) paints"));
    genre_->setEnabled(false);
    genreAlpha_ = new QDoubleSpinBox;
    genreAlpha_->setRange(0.05, 1.0);
    genreAlpha_->setSingleStep(0.05);
    genreAlpha_->setDecimals(2);
    genreAlpha_->setValue(0.5);
    genreAlpha_->setToolTip(tr("Steering strength of the genre segments (alpha)"));
    generate_ = new QPushButton(tr("Generate session"));
    generate_->setEnabled(false);
    generate_->setToolTip(tr("Load a model first"));
    cancel_ = new QPushButton(tr("Cancel"));
    cancel_->setEnabled(false);
    cancel_->setToolTip(tr("Stop: the finished windows are kept and filed in the library"));
    progress_ = new QProgressBar;
    progress_->setRange(0, 1);
    progress_->setValue(0);
    status_ = new QLabel;
    status_->setWordWrap(true);
    behind_ = new QLabel;
    behind_->setWordWrap(true);
    behind_->setStyleSheet("color:#b00020");
    behind_->hide();
    moodNote_ = new QLabel;
    moodNote_->setWordWrap(true);
    moodNote_->setStyleSheet("color:#8a5a00");
    moodNote_->hide();

    auto* presetRow = new QHBoxLayout;
    presetRow->addWidget(preset_, 1);
    presetRow->addWidget(new QLabel(tr("from V")));
    presetRow->addWidget(fromV_);
    presetRow->addWidget(new QLabel(tr("A")));
    presetRow->addWidget(fromA_);
    presetRow->addWidget(new QLabel(tr("to V")));
    presetRow->addWidget(toV_);
    presetRow->addWidget(new QLabel(tr("A")));
    presetRow->addWidget(toA_);
    presetRow->addWidget(applyPreset_);
    auto* lengthRow = new QHBoxLayout;
    lengthRow->addWidget(minutes_);
    lengthRow->addWidget(new QLabel(tr("hold")));
    lengthRow->addWidget(hold_);
    lengthRow->addWidget(smooth_);
    lengthRow->addStretch(1);
    lengthRow->addWidget(new QLabel(tr("seed")));
    lengthRow->addWidget(seed_);
    lengthRow->addWidget(new QLabel(tr("emotion guidance")));
    lengthRow->addWidget(emotionGuidance_);
    auto* form = new QFormLayout;
    form->addRow(tr("Preset"), presetRow);
    form->addRow(tr("Length"), lengthRow);
    form->addRow(tr("Prompt"), prompt_);
    form->addRow(QString(), moodNote_);
    auto* genreRow = new QHBoxLayout;
    genreRow->addWidget(genre_, 1);
    genreRow->addWidget(new QLabel(tr("strength")));
    genreRow->addWidget(genreAlpha_);
    genreRow->addWidget(new QLabel(tr("drag on the G lane to add a segment")), 2);
    form->addRow(tr("Genre lane"), genreRow);
    auto* checkRow = new QHBoxLayout;
    checkRow->addWidget(emotionCheck_);
    checkRow->addWidget(new QLabel(tr("remake a window heard farther than this from the path")), 1);
    form->addRow(tr("Emotion check"), checkRow);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(generate_);
    buttons->addWidget(cancel_);
    buttons->addWidget(progress_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(timeline_, 1);
    layout->addLayout(buttons);
    layout->addWidget(status_);
    layout->addWidget(behind_);

    timer_ = new QTimer(this);
    timer_->setInterval(33); // the playhead at ~30 Hz, never per audio chunk
    connect(timer_, &QTimer::timeout, this, &SessionPanel::poll);
    timer_->start();

    connect(preset_, &QComboBox::currentIndexChanged, this, &SessionPanel::onPresetChosen);
    connect(applyPreset_, &QPushButton::clicked, this, &SessionPanel::applyPreset);
    connect(minutes_, &QDoubleSpinBox::valueChanged, this, [this](double m) {
        timeline_->setTotalSeconds(m * 60);
        publishPath();
    });
    connect(smooth_, &QCheckBox::toggled, this, [this](bool on) {
        timeline_->setInterpolation(on ? PathInterpolation::Smooth : PathInterpolation::Linear);
        publishPath();
    });
    connect(timeline_, &SessionTimeline::pathChanged, this, &SessionPanel::publishPath);
    connect(prompt_, &QLineEdit::textChanged, this, &SessionPanel::updateMoodNote);
    connect(genre_, &QComboBox::currentIndexChanged, this,
            [this] { timeline_->setCurrentGenre(genre_->currentText()); });
    connect(timeline_, &SessionTimeline::seekRequested, this, [this](double seconds) {
        if (playerHoldsSession()) player_->seek(std::min(seconds, sessionSeconds_));
    });
    connect(timeline_, &SessionTimeline::loopRegionRequested, this, &SessionPanel::applyLoopRegion);
    connect(generate_, &QPushButton::clicked, this, &SessionPanel::generate);
    connect(cancel_, &QPushButton::clicked, this, &SessionPanel::cancel);
    connect(engine_, &EngineClient::jobStarted, this, &SessionPanel::onStarted);
    connect(engine_, &EngineClient::jobProgress, this, &SessionPanel::onProgress);
    connect(engine_, &EngineClient::jobAudio, this, &SessionPanel::onAudio);
    connect(engine_, &EngineClient::jobPartial, this, &SessionPanel::onPartial);
    connect(engine_, &EngineClient::jobFinished, this, [this](JobId id) { onEnded(id); });
    connect(engine_, &EngineClient::jobFailed, this, [this](JobId id) { onEnded(id); });
    connect(controller_, &GenerationController::statusMessage, status_, &QLabel::setText);
    connect(controller_, &GenerationController::failed, this, [this](const QString& message) {
        status_->setText("<span style='color:#b00020'>" + message.toHtmlEscaped() + "</span>");
    });

    timeline_->setTotalSeconds(minutes_->value() * 60);
    applyPreset();
}

void SessionPanel::setModelInfo(const ModelInfo& info, const QString& modelId) {
    info_ = info;
    modelId_ = modelId;
    const bool usable = info.maxFrames > 0 && info.frameRate > 0;
    generate_->setEnabled(usable && !running_);
    generate_->setToolTip(usable ? tr("Generate the whole session as one engine job")
                                 : tr("This model reports no window length"));
    if (!info.hasAvEncoder)
        status_->setText(tr("This model has no emotion (AV) conditioning: a session needs it."));
    emotionGuidance_->setEnabled(info.hasAvEncoder);
    emotionGuidance_->setScale(info.hasAvEncoder ? info.defaultEmotionGuidance : std::nullopt);
    emotionCheck_->setValue(info.sessionEmotionCheck());
}

void SessionPanel::setGenreVectors(const QVector<GenreSteeringPanel::Vector>& vectors) {
    genreVectors_ = vectors;
    const QString keep = genre_->currentText();
    genre_->clear();
    for (const auto& v : vectors)
        genre_->addItem(v.label);
    genre_->setEnabled(!vectors.isEmpty());
    if (vectors.isEmpty())
        genre_->setToolTip(tr("No genre vectors for this model (load them in Genre steering)"));
    const int again = genre_->findText(keep);
    if (again >= 0) genre_->setCurrentIndex(again);
    timeline_->setCurrentGenre(genre_->currentText());
}

void SessionPanel::onPresetChosen() {
    const auto [from, to] =
        VaPath::presetEndpoints(preset_->currentData().toString().toStdString());
    fromV_->setValue(from.first);
    fromA_->setValue(from.second);
    toV_->setValue(to.first);
    toA_->setValue(to.second);
}

void SessionPanel::applyPreset() {
    const double total = minutes_->value() * 60;
    const double hold = hold_->value() * 60;
    if (!(hold < total)) {
        status_->setText(tr("The hold (%1 min) must be shorter than the session (%2 min).")
                             .arg(hold_->value())
                             .arg(minutes_->value()));
        return;
    }
    timeline_->setPath(VaPath::iso(
        {fromV_->value(), fromA_->value()}, {toV_->value(), toA_->value()}, total - hold, hold,
        smooth_->isChecked() ? PathInterpolation::Smooth : PathInterpolation::Linear));
    publishPath();
}

void SessionPanel::publishPath() {
    emit pathChanged(pathPoints());
    updateMoodNote();
}

void SessionPanel::updateMoodNote() {
    std::optional<MoodConflict> conflict;
    try {
        conflict = moodConflict(prompt_->text().toStdString(), timeline_->path());
    } catch (const std::exception&) { // no lexicon installed: nothing to compare with
    }
    moodNote_->setText(conflict ? tr("Note: %1.").arg(QString::fromStdString(conflict->describe()))
                                : QString());
    moodNote_->setVisible(conflict.has_value());
}

QVector<QPointF> SessionPanel::pathPoints() const {
    const VaPath path = timeline_->path();
    const double total = minutes_->value() * 60;
    QVector<QPointF> points;
    constexpr int kPoints = 120;
    for (int i = 0; i <= kPoints; ++i) {
        const auto [v, a] = path.at(total * i / kPoints);
        points.append({v, a});
    }
    return points;
}

Recipe SessionPanel::sessionRecipe() const {
    Recipe r;
    r.model = modelId_.toStdString();
    r.seconds = minutes_->value() * 60;
    r.emotionPath = timeline_->path();
    r.seed = static_cast<std::uint64_t>(seed_->value());
    const QString text = prompt_->text().trimmed();
    if (text.startsWith("ids:")) { // a model without a tokenizer takes token ids
        for (const QString& id :
             text.mid(4).split(QRegularExpression("[\\s,]+"), Qt::SkipEmptyParts)) {
            bool ok = false;
            const qlonglong value = id.toLongLong(&ok);
            if (!ok || value < 0)
                throw std::invalid_argument("the prompt's token id '" + id.toStdString() +
                                            "' is not a number >= 0");
            r.promptIds.push_back(value);
        }
    } else {
        r.prompt = text.toStdString();
    }
    for (const auto& segment : timeline_->genreSegments()) {
        if (segment.fromSeconds >= r.seconds) continue; // beyond the session's end
        const auto vector = std::find_if(
            genreVectors_.begin(), genreVectors_.end(),
            [&](const GenreSteeringPanel::Vector& v) { return v.label == segment.genre; });
        if (vector == genreVectors_.end())
            throw std::invalid_argument("the genre segment '" + segment.genre.toStdString() +
                                        "' has no steering vector for this model");
        SteeringSpec spec;
        spec.vectorPath = vector->path.toStdString();
        spec.label = segment.genre.toStdString();
        spec.layer = vector->layer;
        spec.alpha = genreAlpha_->value();
        spec.fromSeconds = segment.fromSeconds;
        spec.toSeconds = std::min(segment.toSeconds, r.seconds);
        r.steering.push_back(std::move(spec));
    }
    r.seamCandidates = Recipe::kSessionSeamCandidates;
    r.readAhead = true;
    r.emotionCheck = emotionCheck_->value();
    r.useSessionChecks(Recipe::sessionAcceptSeconds(r.emotionCheck));
    if (info_) {
        r.guidance = info_->defaultGuidance;
        // The AV token's own guidance (its box's minimum: none, plain guidance).
        if (info_->hasAvEncoder) r.emotionGuidance = emotionGuidance_->scale();
        r.windowSeconds = info_->maxFrames / info_->frameRate;
    }
    return r;
}

void SessionPanel::generate() {
    if (running_) return;
    if (!info_) {
        status_->setText(tr("No model is loaded yet."));
        return;
    }
    Recipe recipe;
    try {
        recipe = sessionRecipe();
    } catch (const std::invalid_argument& e) {
        status_->setText(QString::fromUtf8(e.what()));
        return;
    }
    // The emotion head predicts each finished window when it is installed; else no overlay.
    const QString head = engine_->emotionPredictorUnavailableReason().isEmpty()
                             ? engine_->emotionHeadPath()
                             : QString();
    // Without a head nothing can judge the windows: the check is off, and the status says why.
    const bool uncheckable = head.isEmpty() && recipe.emotionCheck > 0;
    if (uncheckable) recipe.emotionCheck = 0;
    recipe.useSessionChecks(Recipe::sessionAcceptSeconds(recipe.emotionCheck));
    const JobId id =
        controller_->submit(std::make_shared<SessionJob>(recipe, head), recipe.seconds);
    if (id == 0) return;
    job_ = id;
    totalSeconds_ = recipe.seconds;
    timeline_->clearPredictions();
    setRunning(true);
    if (head.isEmpty())
        status_->setText((uncheckable ? tr("Emotion check off: ") : QString()) +
                         engine_->emotionPredictorUnavailableReason());
}

void SessionPanel::cancel() {
    if (running_) controller_->cancel();
}

void SessionPanel::setRunning(bool running) {
    running_ = running;
    generate_->setEnabled(!running && info_.has_value());
    cancel_->setEnabled(running);
    if (!running) behind_->hide();
}

void SessionPanel::onStarted(JobId id) {
    if (id != job_) return;
    sessionSeconds_ = 0;
    speed_ = 0;
    clock_.start();
    progress_->setRange(0, 1);
    progress_->setValue(0);
}

void SessionPanel::onProgress(JobId id, const JobProgress& p) {
    if (id != job_) return;
    if (p.total > 0) {
        progress_->setRange(0, p.total);
        progress_->setValue(p.done);
    }
    speed_ = controller_->generationSpeed();
    status_->setText(tr("%1 of %2 made · %3%4")
                         .arg(duration(p.fraction() * totalSeconds_), duration(totalSeconds_))
                         .arg(p.etaSeconds >= 0 ? tr("%1 left").arg(duration(p.etaSeconds))
                                                : tr("estimating time left"))
                         .arg(p.message.isEmpty() ? QString() : " · " + p.message));
    poll();
}

void SessionPanel::onAudio(JobId id, const QVector<float>& samples, int sampleRate) {
    if (id != job_ || sampleRate <= 0) return;
    sessionSeconds_ += double(samples.size()) / sampleRate;
}

void SessionPanel::onPartial(JobId id, const QVariant& value) {
    if (id != job_ || !value.canConvert<SessionJob::WindowEmotion>()) return;
    const auto w = value.value<SessionJob::WindowEmotion>();
    timeline_->addPrediction({w.startSeconds, w.endSeconds, w.valence, w.arousal});
}

void SessionPanel::onEnded(JobId id) {
    if (id != job_) return;
    // The final buffer may differ from the streamed one by a few samples (EnCodec tolerance).
    if (player_ && std::abs(player_->duration() - sessionSeconds_) < 0.5)
        sessionSeconds_ = player_->duration();
    setRunning(false);
}

bool SessionPanel::behindRealTime(double speed, double elapsedMs, bool playing, double position,
                                  double madeSeconds) {
    // The first seconds include the prompt's encoding and the first prefill: not a speed yet.
    const bool slow = speed > 0 && speed < kRealTime && elapsedMs > kSettleMs;
    const bool caughtUp = playing && position >= madeSeconds - 0.25;
    return slow || caughtUp;
}

void SessionPanel::applyLoopRegion(double from, double to) {
    if (!playerHoldsSession()) {
        if (to > from)
            status_->setText(tr("Loop %1–%2 s: play the session first, then drag on the ruler "
                                "again")
                                 .arg(from)
                                 .arg(to));
        timeline_->setLoopRegion(0, 0);
        return;
    }
    player_->setLoopRegion(from, to);
    if (to > from) {
        player_->setLoop(true); // the transport's Loop box follows (TransportPanel::poll)
        status_->setText(tr("Looping %1–%2 s (right-click the ruler to stop)").arg(from).arg(to));
    } else {
        status_->setText(tr("Loop region cleared"));
    }
}

bool SessionPanel::playerHoldsSession() const {
    return player_ && sessionSeconds_ > 0 && std::abs(player_->duration() - sessionSeconds_) < 0.05;
}

void SessionPanel::poll() {
    // The playhead belongs to the session only while the player holds the session's audio.
    const bool shown = playerHoldsSession();
    timeline_->setPlayhead(shown ? player_->position() : -1.0);
    // The band shows the player's loop region while it loops the session (another clip has
    // none: AudioPlayer::setClip clears it).
    const auto [loopFrom, loopTo] =
        shown && player_->loop() ? player_->loopRegion() : std::pair{0.0, 0.0};
    timeline_->setLoopRegion(loopFrom, loopTo);
    if (!running_) return;
    const bool playing = shown && player_->state() == AudioPlayer::State::Playing;
    const bool behind = behindRealTime(speed_, double(clock_.elapsed()), playing,
                                       shown ? player_->position() : 0.0, sessionSeconds_);
    behind_->setVisible(behind);
    if (behind)
        behind_->setText(tr("Generation is behind real time (%1× real time): playback pauses "
                            "until the next window is finished.")
                             .arg(speed_, 0, 'f', 2));
}

} // namespace moodsteer::widgets
