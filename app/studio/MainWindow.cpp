#include "MainWindow.h"

#include "core/io/Resources.h"

#include "widgets/AboutDialog.h"
#include "widgets/AlignmentScoreJob.h"
#include "widgets/ClipLibraryPanel.h"
#include "widgets/EmotionGridBenchmarkJob.h"
#include "widgets/EmotionView.h"
#include "widgets/ExportDialog.h"
#include "widgets/GeneratePanel.h"
#include "widgets/GenerationController.h"
#include "widgets/GenreSteeringPanel.h"
#include "widgets/JobsStrip.h"
#include "widgets/LayerExplorerPanel.h"
#include "widgets/LoadModelJob.h"
#include "widgets/ModelChooser.h"
#include "widgets/ModelsDialog.h"
#include "widgets/PredictEmotionJob.h"
#include "widgets/PromptPanel.h"
#include "widgets/SessionPanel.h"
#include "widgets/SettingsDialog.h"
#include "widgets/TransportPanel.h"
#include "widgets/VariationsController.h"
#include "widgets/VariationsDialog.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QKeyEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace moodsteer::studio {

using namespace moodsteer::widgets;

namespace {
/// Ctrl+Enter inside the prompt text generates (the text edit would otherwise eat it).
class CtrlEnterFilter : public QObject {
  public:
    CtrlEnterFilter(QObject* parent, std::function<void()> fire)
        : QObject(parent), fire_(std::move(fire)) {}
    bool eventFilter(QObject* watched, QEvent* e) override {
        if (e->type() == QEvent::KeyPress) {
            auto* k = static_cast<QKeyEvent*>(e);
            if ((k->key() == Qt::Key_Return || k->key() == Qt::Key_Enter) &&
                (k->modifiers() & Qt::ControlModifier)) {
                fire_();
                return true;
            }
        }
        return QObject::eventFilter(watched, e);
    }

  private:
    std::function<void()> fire_;
};

QString modelSummary(const ModelInfo& info) {
    return QObject::tr("%1 · %2 layers · %3 M parameters · %4%5")
        .arg(QString::fromStdString(info.id))
        .arg(info.numLayers)
        .arg(info.parameterCount / 1e6, 0, 'f', 1)
        .arg(QString::fromStdString(info.codecName))
        .arg(info.hasAvEncoder ? QObject::tr(" · emotion (AV) conditioning") : QString());
}
} // namespace

MainWindow::MainWindow(EngineClient* engine, std::unique_ptr<AudioPlayer> player,
                       const QString& libraryFolder, QSettings* settings, QWidget* parent)
    : QMainWindow(parent), engine_(engine), player_(std::move(player)), settings_(settings) {
    setWindowTitle(tr("MoodSteer Studio"));
    studio_ = StudioSettings::load(*settings_);
    if (!libraryFolder.isEmpty()) {
        try {
            library_ = std::make_unique<ClipLibrary>(libraryFolder.toStdString());
        } catch (const std::exception& e) {
            libraryError_ = QString::fromUtf8(e.what());
        }
    }

    prompt_ = new PromptPanel;
    try {
        prompt_->pad()->setWords(VaWordList::fromCsv(VaWordList::defaultPath()));
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Emotion words unavailable: %1").arg(e.what()));
    }
    generate_ = new GeneratePanel;
    transport_ = new TransportPanel(player_.get());
    libraryPanel_ = new ClipLibraryPanel(library_.get());
    controller_ = new GenerationController(engine_, transport_, library_.get(), this);
    // Sessions have their own controller: the Session view's Cancel stops only the session.
    sessionController_ = new GenerationController(engine_, transport_, library_.get(), this);
    sessionController_->setSessionMode(true);
    variations_ = new VariationsController(engine_, library_.get(), this);

    auto* promptBox = new QGroupBox(tr("Prompt && emotion"));
    auto* promptLayout = new QVBoxLayout(promptBox);
    promptLayout->addWidget(prompt_, 1);
    promptLayout->addWidget(generate_);
    auto* transportBox = new QGroupBox(tr("Playback"));
    (new QVBoxLayout(transportBox))->addWidget(transport_);
    // Library, emotion view, steering and layer explorer share the right column as tabs: side
    // by side docks would not fit 1280 px next to the prompt and the library.
    emotion_ = new EmotionView;
    steering_ = new GenreSteeringPanel;
    explorer_ = new LayerExplorerPanel;
    explorer_->setWorkFolder(libraryFolder);
    tabs_ = new QTabWidget;
    tabs_->setDocumentMode(true);
    tabs_->addTab(libraryPanel_, tr("Clip library"));
    tabs_->addTab(emotion_, tr("Emotion view"));
    tabs_->addTab(steering_, tr("Genre steering"));
    tabs_->addTab(explorer_, tr("Layer explorer"));
    session_ = new SessionPanel(engine_, sessionController_, player_.get());
    tabs_->addTab(session_, tr("Session"));

    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(transportBox);
    right->addWidget(tabs_);
    right->setStretchFactor(0, 1);
    right->setStretchFactor(1, 3);
    auto* main = new QSplitter(Qt::Horizontal);
    main->addWidget(promptBox);
    main->addWidget(right);
    main->setStretchFactor(0, 2);
    main->setStretchFactor(1, 3);
    main->setChildrenCollapsible(false);
    // The jobs strip under both columns: what the engine runs and has queued, cancel each.
    jobsStrip_ = new JobsStrip(engine_);
    auto* central = new QWidget;
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(main, 1);
    centralLayout->addWidget(jobsStrip_);
    setCentralWidget(central);
    modelLabel_ = new QLabel;
    statusBar()->addPermanentWidget(modelLabel_);

    if (library_) // clips predicted in earlier sessions
        for (const LibraryClip& c : library_->clips())
            if (c.predictedValence && c.recipe.valence && c.recipe.arousal)
                emotion_->addPoint(QString::fromStdString(c.id),
                                   {*c.recipe.valence, *c.recipe.arousal},
                                   {*c.predictedValence, *c.predictedArousal});

    buildMenus();
    prompt_->promptEdit()->installEventFilter(new CtrlEnterFilter(this, [this] { generate(); }));

    // Engine -> UI.
    connect(engine_, &EngineClient::modelLoadStarted, this, [this](const QString& folder) {
        generate_->setModelLoading(
            tr("Loading the model%1…").arg(folder.isEmpty() ? tr(" (embedded)") : " " + folder));
        modelLabel_->setText(tr("Loading model…"));
    });
    connect(engine_, &EngineClient::modelLoaded, this, [this](const ModelInfo& info) {
        const QString id = studio_.modelFolder.isEmpty() ? "embedded" : studio_.modelFolder;
        prompt_->setModelInfo(info, id);
        generate_->setModelReady(true, tr("Ready."));
        modelLabel_->setText(modelSummary(info));
        const auto loaded = engine_->loadedModel();
        prompt_->modelChooser()->setLoadedState(
            true, tr("Loaded: %1 (%2)")
                      .arg(QString::fromStdString(loaded ? loaded->source.model : info.id),
                           QString::fromStdString(loaded ? loaded->precision : "f32")));
        // Slower than real time, playback waits; say what would make it wait less.
        const std::string precision = loaded ? loaded->precision : "f32";
        const QString hint =
            precision == "int4" ? QString()
            : precision == "int8"
                ? tr("int4 weights (model chooser) generate about a third faster, less exactly.")
                : tr("int8 or int4 weights (model chooser) generate faster.");
        controller_->setBufferingHint(hint);
        sessionController_->setBufferingHint(hint);
        steering_->setModelId(QString::fromStdString(info.id));
        session_->setModelInfo(info, id);
        steering_->setNumLayers(info.numLayers);
        QString vectors = settings_->value("steering/folder").toString();
        // The embedded model ships its genre vectors (made with `moodsteer-cli steer make`).
        if (vectors.isEmpty() && studio_.modelFolder.isEmpty())
            vectors = QString::fromStdString(moodsteer::resourcePath("steering"));
        if (!vectors.isEmpty()) steering_->loadFolder(vectors, QString::fromStdString(info.id));
    });
    connect(engine_, &EngineClient::modelLoadFailed, this, [this](const QString& message) {
        generate_->setModelReady(false, "<span style='color:#b00020'>" + message.toHtmlEscaped() +
                                            "</span>");
        modelLabel_->setText(tr("No model loaded"));
        prompt_->modelChooser()->setLoadedState(false, tr("No model loaded."));
        statusBar()->showMessage(message, 15000);
    });
    connect(engine_, &EngineClient::modelUnloaded, this, [this](double freedMB) {
        const QString why = tr("No model is loaded: choose one above and press Load.");
        generate_->setModelReady(false, why);
        modelLabel_->setText(tr("No model loaded"));
        prompt_->modelChooser()->setLoadedState(
            false, tr("Unloaded (%1 MB of memory freed).").arg(std::max(0.0, freedMB), 0, 'f', 0));
    });
    connect(controller_, &GenerationController::busyChanged, generate_, &GeneratePanel::setBusy);
    connect(controller_, &GenerationController::progress, generate_, &GeneratePanel::setProgress);
    connect(controller_, &GenerationController::statusMessage, generate_,
            &GeneratePanel::setStatus);
    connect(controller_, &GenerationController::failed, this, &MainWindow::showError);
    connect(controller_, &GenerationController::clipAdded, this, &MainWindow::onClipAdded);
    connect(sessionController_, &GenerationController::clipAdded, this, &MainWindow::onClipAdded);
    connect(variations_, &VariationsController::clipsAdded, this,
            [this](const QStringList& ids, JobId job) {
                for (const QString& id : ids)
                    onClipAdded(id, job);
                if (!ids.isEmpty()) libraryPanel_->select(ids.front());
            });
    connect(variations_, &VariationsController::failed, this, &MainWindow::showError);
    connect(libraryPanel_, &ClipLibraryPanel::variationsRequested, this,
            &MainWindow::askVariations);
    // The transport shows a generated clip once it is filed; while one streams, nothing to restore.
    for (GenerationController* c : {controller_, sessionController_}) {
        connect(c, &GenerationController::busyChanged, this, [this](bool busy) {
            if (!busy) return;
            shownClip_.clear();
            transport_->setRestoreAvailable(false, tr("Wait for the generation to finish"));
        });
        connect(c, &GenerationController::clipAdded, this, [this](const QString& id) {
            const LibraryClip* clip = library_ ? library_->find(id.toStdString()) : nullptr;
            shownClip_ = clip ? id : QString();
            transport_->setRestoreAvailable(
                clip && ClipLibraryPanel::canVary(clip->recipe),
                tr("Restore works on the embedded model's clips and imported MIDI"));
        });
    }
    connect(transport_, &TransportPanel::restoreRequested, this, [this](double from, double to) {
        if (!shownClip_.isEmpty()) variations_->restore(shownClip_, from, to);
    });
    connect(variations_, &VariationsController::statusMessage, this,
            [this](const QString& text) { statusBar()->showMessage(text, 10000); });
    // The session's path is drawn on the pad while the Session view is open.
    connect(session_, &SessionPanel::pathChanged, this, [this](const QVector<QPointF>& path) {
        if (tabs_->currentWidget() == session_) prompt_->pad()->setPath(path);
    });
    connect(tabs_, &QTabWidget::currentChanged, this, [this] {
        prompt_->pad()->setPath(tabs_->currentWidget() == session_ ? session_->pathPoints()
                                                                   : QVector<QPointF>());
    });
    connect(controller_, &GenerationController::ended, this, &MainWindow::onGenerationLost);
    connect(controller_, &GenerationController::failed, this,
            [this](const QString&, JobId job) { onGenerationLost(job); });
    connect(steering_, &GenreSteeringPanel::abRequested, this, &MainWindow::generateAb);
    connect(emotion_, &EmotionView::benchmarkRequested, this, &MainWindow::runEmotionBenchmark);
    connect(emotion_, &EmotionView::benchmarkCancelRequested, this,
            [this] { engine_->cancel(benchmarkJob_); });
    emotion_->setBenchmarkUnavailable(engine_->emotionPredictorUnavailableReason());
    connect(explorer_, &LayerExplorerPanel::runRequested, this, &MainWindow::exploreLayers);
    connect(explorer_, &LayerExplorerPanel::cancelRequested, this,
            [this] { engine_->cancel(explorerJob_); });
    connect(explorer_, &LayerExplorerPanel::bestLayerChanged, steering_,
            &GenreSteeringPanel::setBestLayer);
    connect(engine_, &EngineClient::jobProgress, this, [this](JobId job, const JobProgress& p) {
        if (job == explorerJob_) explorer_->setProgress(p.done, p.total, p.message);
    });
    connect(engine_, &EngineClient::jobPartial, this, [this](JobId job, const QVariant& value) {
        if (job != benchmarkJob_) return;
        const auto step = value.value<EmotionGridBenchmarkJob::Step>();
        emotion_->addBenchmarkClip(step.done, step.total, step.clip);
    });
    connect(engine_, &EngineClient::jobFinished, this, &MainWindow::onJobFinished);
    connect(engine_, &EngineClient::jobFailed, this, &MainWindow::onJobFailed);
    connect(steering_, &GenreSteeringPanel::folderLoaded, this,
            [this](const QString& folder) { settings_->setValue("steering/folder", folder); });
    // The Session view's genre lane offers the genre vectors the steering panel holds.
    connect(steering_, &GenreSteeringPanel::steeringChanged, session_,
            [this] { session_->setGenreVectors(steering_->vectors()); });
    // UI -> engine / player. The chooser's Load/Unload are engine jobs: queued behind
    // whatever runs, never refused.
    prompt_->modelChooser()->setCurrentFolder(studio_.modelFolder);
    prompt_->modelChooser()->setPrecision(studio_.precision);
    connect(prompt_->modelChooser(), &ModelChooser::loadRequested, this,
            [this](const QString& folder, const QString& precision) {
                studio_.modelFolder = folder;
                studio_.precision = precision;
                studio_.save(*settings_);
                loadModel();
            });
    connect(prompt_->modelChooser(), &ModelChooser::unloadRequested, engine_,
            &EngineClient::unloadModel);
    connect(generate_, &GeneratePanel::generateClicked, this, &MainWindow::generate);
    // Cancel (button, Esc) stops this panel's generations (an A/B pair included), no other job.
    connect(generate_, &GeneratePanel::cancelClicked, controller_, &GenerationController::cancel);
    connect(libraryPanel_, &ClipLibraryPanel::playRequested, this, &MainWindow::playClip);
    connect(libraryPanel_, &ClipLibraryPanel::exportRequested, this, &MainWindow::exportClip);
    connect(libraryPanel_, &ClipLibraryPanel::errorOccurred, this, &MainWindow::showError);
    connect(libraryPanel_, &ClipLibraryPanel::regenerateRequested, this, [this](const Recipe& r) {
        // Exactly means the same weights at the same precision, as the CLI's --recipe.
        if (const QString why = controller_->exactRegenerationProblem(r); !why.isEmpty())
            return showError(tr("Cannot regenerate this clip exactly: %1").arg(why));
        prompt_->setRecipe(r);
        generate();
    });
    connect(libraryPanel_, &ClipLibraryPanel::selectionChanged, this, [this](const QString& id) {
        showClipEmotion(id);
        // Clips predicted in an earlier session have no per-window data: predict again.
        if (!id.isEmpty() && !predictions_.contains(id)) predictEmotion(id);
        if (!id.isEmpty() && !alignments_.contains(id) && !alignmentNotes_.contains(id))
            scoreAlignment(id);
    });
    connect(transport_, &TransportPanel::deviceChanged, this, [this](const QString& name) {
        studio_.audioDevice = name;
        studio_.save(*settings_);
    });

    // Device lost or back (TransportPanel checks every second): say so in the status line.
    connect(transport_, &TransportPanel::playbackUnavailable, this,
            [this](const QString& why) { statusBar()->showMessage(why, 15000); });
    connect(transport_, &TransportPanel::playbackRestored, this,
            [this](const QString& what) { statusBar()->showMessage(what, 8000); });
    transport_->refreshDevices(studio_.audioDevice);
    if (!libraryError_.isEmpty())
        showError(tr("The clip library could not be opened: %1").arg(libraryError_));
    else if (library_ && !library_->recovered().empty())
        showError(QString::fromStdString(library_->recovered()));
    restoreGeometry(settings_->value("window/geometry").toByteArray());
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* importAction = file->addAction(tr("&Import MIDI…"), this, &MainWindow::importMidi);
    importAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    importAction->setToolTip(tr("Bring a MIDI file (type 0/1) into the library as a clip"));
    QAction* exportAction = file->addAction(tr("&Export clip…"), this, [this] {
        if (!libraryPanel_->selectedId().isEmpty()) exportClip(libraryPanel_->selectedId());
    });
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    QAction* settingsAction = file->addAction(tr("&Settings…"), this, &MainWindow::showSettings);
    settingsAction->setShortcut(QKeySequence::Preferences);
    file->addAction(tr("&Models…"), this, &MainWindow::showModels);
    file->addAction(tr("Reload &model"), this, &MainWindow::loadModel);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* gen = menuBar()->addMenu(tr("&Generate"));
    QAction* go = gen->addAction(tr("&Generate"), this, &MainWindow::generate);
    go->setShortcuts(
        {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
    QAction* cancel = gen->addAction(tr("&Cancel"), controller_, &GenerationController::cancel);
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));

    QMenu* play = menuBar()->addMenu(tr("&Playback"));
    QAction* toggle = play->addAction(tr("Play / &pause"), transport_, &TransportPanel::togglePlay);
    toggle->setShortcut(QKeySequence(Qt::Key_Space));
    play->addAction(tr("&Stop"), transport_, &TransportPanel::stop);
    QAction* loop = play->addAction(tr("&Loop"));
    loop->setCheckable(true);
    loop->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(loop, &QAction::toggled, transport_, &TransportPanel::setLoop);
    connect(transport_, &TransportPanel::loopChanged, loop, [loop](bool on) {
        if (loop->isChecked() == on) return;
        const QSignalBlocker block(loop);
        loop->setChecked(on);
    });
    play->addAction(tr("A/B &switch"), libraryPanel_, &ClipLibraryPanel::switchAb);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < tabs_->count(); ++i) {
        QAction* show =
            view->addAction(tabs_->tabText(i), this, [this, i] { tabs_->setCurrentIndex(i); });
        show->setShortcut(QKeySequence(Qt::ALT | static_cast<Qt::Key>(Qt::Key_1 + i)));
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About MoodSteer Studio"), this, &MainWindow::showAbout);
}

void MainWindow::loadModel() {
    engine_->loadModel(studio_.modelFolder, studio_.threads, studio_.precision);
}

void MainWindow::generate() {
    if (!engine_->modelInfo()) { // Generate is off until a model is loaded
        if (!engine_->hasJob(LoadModelJob::kKind))
            showError(tr("No model is loaded: choose one in the model chooser and press Load."));
        return;
    }
    if (controller_->isBusy()) {
        statusBar()->showMessage(tr("A generation is already queued or running: wait for it or "
                                    "cancel it (Esc)."),
                                 8000);
        return;
    }
    Recipe recipe = prompt_->nextRecipe();
    recipe.steering = steering_->steering();
    controller_->generate(recipe, prompt_->takes());
}

void MainWindow::generateAb() {
    if (controller_->isBusy() || !engine_->modelInfo() || !steering_->isActive()) return;
    Recipe steered = prompt_->nextRecipe();
    steered.steering = steering_->steering();
    const auto [a, b] = AbComparison::recipes(steered);
    const JobId jobA = controller_->generate(a);
    const JobId jobB = jobA ? controller_->generate(b) : 0;
    if (jobA && jobB) ab_.start(jobA, jobB);
}

void MainWindow::onClipAdded(const QString& id, JobId job) {
    libraryPanel_->refresh();
    libraryPanel_->select(id);
    predictEmotion(id);
    scoreAlignment(id);
    // Takes: 2..N arrive first, take 1 last; then A = take 1, B = take 2 (same recipe, next
    // seed), for the A/B switch.
    if (const LibraryClip* c = library_ ? library_->find(id.toStdString()) : nullptr;
        c && c->recipe.takes > 1) {
        if (c->recipe.take == 2) secondTake_.insert(job, id);
        if (c->recipe.take == 1 && secondTake_.contains(job)) {
            libraryPanel_->select(id);
            libraryPanel_->setSelectedAsA();
            libraryPanel_->select(secondTake_.take(job));
            libraryPanel_->setSelectedAsB();
            libraryPanel_->select(id);
            statusBar()->showMessage(
                tr("A = take 1, B = take 2: the A/B switch compares them; Set A/B picks others"),
                10000);
        }
        return;
    }
    if (!ab_.clipAdded(job, id.toStdString())) return;
    libraryPanel_->select(QString::fromStdString(ab_.clipA()));
    libraryPanel_->setSelectedAsA();
    libraryPanel_->select(QString::fromStdString(ab_.clipB()));
    libraryPanel_->setSelectedAsB();
    statusBar()->showMessage(tr("A = unsteered, B = steered (same seed): A/B switch compares them"),
                             10000);
}

void MainWindow::askVariations(const QString& id) {
    const LibraryClip* c = library_ ? library_->find(id.toStdString()) : nullptr;
    if (!c) return;
    VariationsDialog dialog(QString::fromStdString(c->name), this);
    if (dialog.exec() != QDialog::Accepted) return;
    variations_->makeVariations(id, dialog.settings());
}

void MainWindow::importMidi() {
    const QString start = settings_->value("import/folder").toString();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Import MIDI"), start, tr("MIDI files (*.mid *.midi);;All files (*)"));
    if (path.isEmpty()) return;
    settings_->setValue("import/folder", QFileInfo(path).absolutePath());
    importMidiFile(path);
}

void MainWindow::importMidiFile(const QString& path) {
    variations_->importMidi(path);
}

void MainWindow::onGenerationLost(JobId job) {
    if (!ab_.jobLost(job)) return;
    for (JobId other : ab_.pendingJobs()) // half a pair compares nothing
        engine_->cancel(other);
}

void MainWindow::exploreLayers(const LayerExplorerRequest& request) {
    if (!engine_->modelInfo()) return explorer_->setFailed(tr("No model is loaded."));
    explorer_->setRunning(true); // queued behind any running job: the jobs strip shows it
    explorerJob_ = engine_->exploreLayers(request);
}

void MainWindow::runEmotionBenchmark(int grid) {
    if (!engine_->modelInfo()) {
        emotion_->setBenchmarkStatus(tr("Load a model first."));
        return;
    }
    EmotionBenchmarkOptions options;
    options.gridValence = options.gridArousal = grid;
    options.seconds = prompt_->recipe().seconds;
    options.guidance = prompt_->recipe().guidance;
    const bool waits = engine_->isBusy();
    emotion_->setBenchmarkRunning(true);
    emotion_->setBenchmarkStatus(
        waits ? tr("Benchmark queued: starts when the running engine job ends.")
              : tr("Benchmark: starting %1 × %1 targets…").arg(grid));
    benchmarkJob_ = engine_->runEmotionBenchmark(options);
}

void MainWindow::onJobFinished(JobId job, const QVariant& result) {
    if (job == explorerJob_) {
        explorerJob_ = 0;
        explorer_->setReport(result.value<LayerAnalysisReport>());
    } else if (job == benchmarkJob_) {
        benchmarkJob_ = 0;
        const auto r = result.value<EmotionBenchmarkReport>();
        emotion_->setBenchmarkRunning(false);
        emotion_->setBenchmarkStatus(tr("Benchmark %1: %2 of %3 clips predicted in %4 s")
                                         .arg(r.cancelled ? tr("cancelled") : tr("done"))
                                         .arg(r.predictedClips)
                                         .arg(r.clips.size())
                                         .arg(r.generationSeconds, 0, 'f', 1));
    } else if (predicting_.contains(job)) {
        onEmotionPredicted(predicting_.take(job), result.value<ClipPrediction>());
    } else if (aligning_.contains(job)) {
        const QString id = aligning_.take(job);
        alignments_.insert(id, result.value<AlignmentScoreJob::Score>().score);
        if (libraryPanel_->selectedId() == id) showClipEmotion(id);
    }
}

void MainWindow::onJobFailed(JobId job, const QString& message) {
    if (job == explorerJob_) {
        explorerJob_ = 0;
        explorer_->setFailed(message);
    } else if (job == benchmarkJob_) {
        benchmarkJob_ = 0;
        emotion_->setBenchmarkRunning(false);
        emotion_->setBenchmarkStatus(tr("Benchmark failed: %1").arg(message));
    } else if (predicting_.contains(job)) {
        predicting_.remove(job);
        statusBar()->showMessage(tr("Emotion prediction failed: %1").arg(message), 10000);
    } else if (aligning_.contains(job)) {
        const QString id = aligning_.take(job);
        alignmentNotes_.insert(id, tr("No alignment score: %1").arg(message));
        if (libraryPanel_->selectedId() == id) showClipEmotion(id);
    }
}

void MainWindow::playClip(const QString& id, bool keepPosition, bool play) {
    if (!library_) return;
    try {
        transport_->showClip(library_->audio(id.toStdString()), keepPosition);
        shownClip_ = id;
        const LibraryClip* c = library_->find(id.toStdString());
        transport_->setRestoreAvailable(
            c && ClipLibraryPanel::canVary(c->recipe),
            tr("Restore works on the embedded model's clips and imported MIDI"));
        if (play && !player_->play() && !player_->hasDevice())
            statusBar()->showMessage(transport_->statusText(), 8000);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
}

void MainWindow::exportClip(const QString& id) {
    const LibraryClip* c = library_ ? library_->find(id.toStdString()) : nullptr;
    if (!c) return;
    try {
        // MIDI for clips of the loaded symbolic-codec model (SynthCodec tokens are notes).
        std::optional<CodeGrid> midi;
        const auto info = engine_->modelInfo();
        const std::string modelId =
            studio_.modelFolder.isEmpty() ? "embedded" : studio_.modelFolder.toStdString();
        // Imported MIDI and variations are SynthCodec codes whatever model is loaded.
        const bool symbolic = !c->recipe.importedFrom.empty() || c->recipe.variation > 0;
        if (symbolic || (info && info->codecName == "synthcodec" && c->recipe.model == modelId))
            midi = library_->codes(c->id);
        ExportDialog dialog(studio_.outputFolder, QString::fromStdString(c->name),
                            library_->audio(c->id), c->recipe, this, midi);
        if (dialog.exec() == QDialog::Accepted)
            statusBar()->showMessage(
                tr("Exported %1 (recipe in %2)")
                    .arg(dialog.path(), QFileInfo(QString::fromStdString(ClipLibrary::sidecarPath(
                                                      dialog.path().toStdString())))
                                            .fileName()),
                8000);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
}

void MainWindow::showSettings() {
    QStringList devices{tr("Default output")};
    for (const auto& d : player_->devices())
        devices << QString::fromStdString(d.name);
    SettingsDialog dialog(studio_, devices, engine_->embeddedModelFolder(), this);
    if (dialog.exec() != QDialog::Accepted) return;
    const StudioSettings next = dialog.settings();
    const bool reload = next.modelFolder != studio_.modelFolder || next.threads != studio_.threads;
    const bool device = next.audioDevice != studio_.audioDevice;
    studio_ = next;
    studio_.save(*settings_);
    if (device) transport_->refreshDevices(studio_.audioDevice);
    if (reload) loadModel();
}

// Downloads run inside the dialog (its own thread); "Use" switches the model without a restart.
void MainWindow::showModels() {
    ModelsDialog dialog(HubSettings::fromEnvironment(), this);
    connect(&dialog, &ModelsDialog::modelChosen, this, [this, &dialog](const QString& folder) {
        if (folder != studio_.modelFolder) {
            studio_.modelFolder = folder;
            studio_.save(*settings_);
            loadModel();
        }
        dialog.accept();
    });
    dialog.exec();
    // Downloads and removals change what the chooser offers.
    prompt_->modelChooser()->refresh();
    prompt_->modelChooser()->setCurrentFolder(studio_.modelFolder);
}

void MainWindow::showAbout() {
    const auto info = engine_->modelInfo();
    AboutDialog(info ? modelSummary(*info) : QString(), this).exec();
}

void MainWindow::predictEmotion(const QString& id) {
    if (!library_ || id.isEmpty() || predicting_.key(id) != 0) return;
    const QString reason = engine_->emotionPredictorUnavailableReason();
    if (!reason.isEmpty()) {
        if (!predictorWarned_) statusBar()->showMessage(reason, 15000);
        predictorWarned_ = true;
        return;
    }
    try {
        AudioBuffer audio = library_->audio(id.toStdString());
        predicting_.insert(engine_->predictEmotion(id, audio), id);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
}

void MainWindow::scoreAlignment(const QString& id) {
    const LibraryClip* c = library_ ? library_->find(id.toStdString()) : nullptr;
    if (!c || aligning_.key(id) != 0) return;
    if (c->recipe.prompt.empty()) {
        alignmentNotes_.insert(id, tr("No alignment score: the clip has no text prompt."));
    } else if (const QString reason = engine_->alignmentUnavailableReason(); !reason.isEmpty()) {
        alignmentNotes_.insert(id, reason);
    } else {
        try {
            aligning_.insert(engine_->scoreAlignment(id, library_->audio(c->id),
                                                     QString::fromStdString(c->recipe.prompt)),
                             id);
        } catch (const std::exception& e) {
            alignmentNotes_.insert(id,
                                   tr("No alignment score: %1").arg(QString::fromUtf8(e.what())));
        }
    }
    if (libraryPanel_->selectedId() == id) showClipEmotion(id);
}

void MainWindow::onEmotionPredicted(const QString& id, const ClipPrediction& prediction) {
    if (!library_ || !library_->find(id.toStdString())) return; // deleted meanwhile
    try {
        library_->setPredictedEmotion(id.toStdString(), prediction.valence, prediction.arousal);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
        return;
    }
    // Found again: writing the library re-reads its index, so an earlier pointer dangles
    // (ASan: heap-use-after-free here).
    const LibraryClip* c = library_->find(id.toStdString());
    if (!c) return;
    predictions_.insert(id, prediction);
    emotion_->setJudge(QString::fromStdString(prediction.head), prediction.valencePredictable,
                       prediction.arousalPredictable);
    if (c->recipe.valence && c->recipe.arousal)
        emotion_->addPoint(id, {*c->recipe.valence, *c->recipe.arousal},
                           {prediction.valence, prediction.arousal});
    libraryPanel_->refresh();
    if (libraryPanel_->selectedId() == id) showClipEmotion(id);
}

void MainWindow::showClipEmotion(const QString& id) {
    const LibraryClip* c = library_ ? library_->find(id.toStdString()) : nullptr;
    prompt_->pad()->setPredicted(
        c && c->predictedValence
            ? std::optional<QPointF>(QPointF(*c->predictedValence, *c->predictedArousal))
            : std::nullopt);
    emotion_->highlight(c ? id : QString());
    const auto p = predictions_.constFind(id);
    if (c && p != predictions_.constEnd())
        emotion_->showPrediction(QString::fromStdString(c->name), *p);
    else
        emotion_->showWindows(c ? QString::fromStdString(c->name) : QString(), {});
    if (c && alignments_.contains(id))
        emotion_->setAlignment(alignments_.value(id));
    else if (c && aligning_.key(id) != 0)
        emotion_->setAlignment(std::nullopt, tr("Scoring against its prompt…"));
    else
        emotion_->setAlignment(std::nullopt, c ? alignmentNotes_.value(id) : QString());
}

void MainWindow::showError(const QString& message) {
    statusBar()->showMessage(message, 15000);
    generate_->setStatus("<span style='color:#b00020'>" + message.toHtmlEscaped() + "</span>");
}

void MainWindow::closeEvent(QCloseEvent* e) {
    settings_->setValue("window/geometry", saveGeometry());
    studio_.save(*settings_);
    engine_->cancelAll(); // the engine thread stops at its next check; the client joins it
    e->accept();
}

} // namespace moodsteer::studio
