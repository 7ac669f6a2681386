// The model chooser in the prompt panel and model switching through engine jobs, on the fake
// engine: what it lists (embedded, complete supported cache repos, added folders), Load queued
// behind a running generation (never refused), Unload clearing the model so that Generate
// says a model must be loaded, and studio recipes' provenance with "regenerate exactly"
// refusing another model or precision.
#include "FakeEngineClient.h"
#include "JobSpy.h"
#include "MainWindow.h"
#include "TestMain.h"

#include "core/hub/LocalModelList.h"
#include "widgets/ClipLibraryPanel.h"
#include "widgets/GeneratePanel.h"
#include "widgets/GenerationController.h"
#include "widgets/ModelChooser.h"
#include "widgets/PromptPanel.h"
#include "widgets/UnloadModelJob.h"

#include <QComboBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

using namespace moodsteer;
using namespace moodsteer::widgets;
namespace fs = std::filesystem;

class ModelChooserTest : public QObject {
    Q_OBJECT
    static std::unique_ptr<AudioPlayer> silentPlayer() {
        return std::make_unique<AudioPlayer>(std::make_unique<test::SilentSink>());
    }
    static void touch(const fs::path& p) {
        fs::create_directories(p.parent_path());
        std::ofstream(p) << "{}";
    }
    /// A repo in the hub cache layout with `files` in its snapshot for refs/main.
    static std::string addRepo(const fs::path& root, const std::string& id,
                               const std::vector<std::string>& files) {
        const std::string commit(40, 'a');
        std::string name = "models--" + id;
        name.replace(name.find('/'), 1, "--");
        fs::create_directories(root / name / "refs");
        std::ofstream(root / name / "refs" / "main") << commit;
        for (const auto& f : files)
            touch(root / name / "snapshots" / commit / f);
        return (root / name / "snapshots" / commit).string();
    }
    static void chooseAndLoad(ModelChooser* chooser, const QString& folder,
                              const QString& precision) {
        chooser->setCurrentFolder(folder);
        chooser->setPrecision(precision);
        QTest::mouseClick(chooser->loadButton(), Qt::LeftButton);
    }
    static bool loadAndWait(studio::MainWindow& window, EngineClient& engine, const QString& folder,
                            const QString& precision) {
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        chooseAndLoad(window.promptPanel()->modelChooser(), folder, precision);
        return loaded.wait(3000);
    }

  private slots:
    void listsEmbeddedCompleteCachedReposAndAddedFolders() {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("cache").toStdString();
        const auto tiny = addRepo(root, "test-org/tiny-musicgen",
                                  {"config.json", "generation_config.json", "model.safetensors"});
        addRepo(root, "test-org/partial", {"config.json"}); // no weights yet
        addRepo(root, "m-a-p/MERT-v1-95M", {"config.json", "model.safetensors"});
        const fs::path local = dir.filePath("my-model").toStdString();
        touch(local / "config.json");
        const QString list = dir.filePath("local-models.json");
        LocalModelList(list.toStdString()).add(local.string());

        HubSettings settings;
        settings.cacheRoot = root.string();
        const auto choices = ModelChooser::discover(settings, list);
        QStringList labels, folders;
        for (const auto& c : choices) {
            labels << c.label;
            folders << c.folder;
        }
        const bool embedded = !MusicEngine::embeddedModelFolder().empty();
        QCOMPARE(choices.size(), embedded ? 3 : 2);
        if (embedded) QCOMPARE(folders[0], QString()); // first, the default
        QVERIFY(labels.contains("test-org/tiny-musicgen"));
        QVERIFY(folders.contains(QString::fromStdString(tiny)));
        QVERIFY(!labels.contains("test-org/partial"));
        QVERIFY(!labels.contains("m-a-p/MERT-v1-95M")); // an emotion encoder, not a generator
        QVERIFY(folders.contains(QString::fromStdString(fs::absolute(local).string())));

        ModelChooser chooser;
        chooser.setSources(settings, list);
        QCOMPARE(chooser.choices().size(), choices.size());
        chooser.setCurrentFolder(QString::fromStdString(tiny));
        chooser.setPrecision("int8");
        QSignalSpy load(&chooser, &ModelChooser::loadRequested);
        QTest::mouseClick(chooser.loadButton(), Qt::LeftButton);
        QCOMPARE(load.size(), 1);
        QCOMPARE(load[0][0].toString(), QString::fromStdString(tiny));
        QCOMPARE(load[0][1].toString(), QString("int8"));
        chooser.setPrecision("int4"); // every precision the engine takes is offered
        QTest::mouseClick(chooser.loadButton(), Qt::LeftButton);
        QCOMPARE(load.size(), 2);
        QCOMPARE(load[1][1].toString(), QString("int4"));
        // A folder that is not listed (e.g. from old settings) is shown, not replaced.
        chooser.setCurrentFolder("/somewhere/else");
        QCOMPARE(chooser.currentFolder(), QString("/somewhere/else"));
        chooser.refresh();
        QCOMPARE(chooser.currentFolder(), QString("/somewhere/else"));
        QVERIFY(!chooser.unloadButton()->isEnabled());
    }

    void loadWhileGeneratingIsQueuedBehindIt() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        engine.chunkSeconds = 0.05; // 200 ticks for 10 s: the load is asked while it runs
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadAndWait(window, engine, "", "f32"));
        test::JobSpy jobs(&engine);
        window.promptPanel()->promptEdit()->setPlainText("long ambient");
        window.generate();
        QVERIFY(test::JobSpy::waitFor([&] { return !jobs.started.isEmpty(); }, 2000));
        chooseAndLoad(window.promptPanel()->modelChooser(), "/models/other", "bf16");
        const auto queued = engine.jobs();
        QCOMPARE(queued.size(), 2);
        QCOMPARE(queued[0].kind, QString(GenerateJob::kKind));
        QCOMPARE(queued[1].kind, QString(LoadModelJob::kKind));
        QCOMPARE(queued[1].state, EngineJobInfo::State::Queued);
        QVERIFY(jobs.waitEndedCount(2, 10000));
        QVERIFY(test::JobSpy::waitFor([&] { return !engine.hasJob(LoadModelJob::kKind); }, 5000));
        QStringList events; // without the emotion prediction the new clip queues
        for (const QString& e : jobs.events)
            if (e.endsWith(" 2") || e.endsWith(" 3")) events << e;
        QCOMPARE(events, QStringList({"queued 2", "started 2", "queued 3", "finished 2",
                                      "started 3", "finished 3"}));
        const auto generated = jobs.finished[0].second.value<GenerationResult>();
        QVERIFY(!generated.cancelled); // the switch waited for it
        QCOMPARE(engine.loads.last(), QString("/models/other@bf16"));
        QCOMPARE(QString::fromStdString(engine.modelInfo()->folder), QString("/models/other"));
        QCOMPARE(window.settings().modelFolder, QString("/models/other"));
        QCOMPARE(window.settings().precision, QString("bf16"));
        QVERIFY(window.promptPanel()->modelChooser()->stateText().contains("bf16"));
        QVERIFY(window.promptPanel()->modelChooser()->unloadButton()->isEnabled());
        // A wait for a slow model names what would shorten it; int4 is already the fastest.
        QVERIFY(window.generationController()->bufferingHint().contains("int4"));
        QVERIFY(loadAndWait(window, engine, "/models/other", "int4"));
        QVERIFY(window.generationController()->bufferingHint().isEmpty());
    }

    void unloadClearsTheModelAndGenerateSaysToLoadOne() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadAndWait(window, engine, "", "f32"));
        QVERIFY(window.generatePanel()->generateButton()->isEnabled());

        QSignalSpy unloaded(&engine, &EngineClient::modelUnloaded);
        QTest::mouseClick(window.promptPanel()->modelChooser()->unloadButton(), Qt::LeftButton);
        QVERIFY(!engine.modelInfo()); // at once: nothing new may be asked of the old model
        QVERIFY(unloaded.wait(2000));
        QCOMPARE(engine.unloads, 1);
        QVERIFY(!engine.loadedModel());
        QVERIFY(!window.generatePanel()->generateButton()->isEnabled());
        QVERIFY(!window.promptPanel()->modelChooser()->unloadButton()->isEnabled());
        QVERIFY(window.promptPanel()->modelChooser()->stateText().contains("Unloaded"));

        const int calls = engine.generateCalls;
        window.generate();
        QCOMPARE(engine.generateCalls, calls);
        QVERIFY2(window.statusBar()->currentMessage().contains("No model is loaded"),
                 qPrintable(window.statusBar()->currentMessage()));
        QCOMPARE(window.generationController()->generate(Recipe{}), JobId(0));
        // A generation that reaches the engine anyway (queued behind the unload) fails clearly.
        test::JobSpy generations(&engine, GenerateJob::kKind);
        engine.generate(Recipe{});
        QVERIFY(generations.waitEndedCount(1, 2000));
        QCOMPARE(generations.failed.size(), 1);
        QVERIFY(generations.failed[0].second.contains("No model is loaded"));

        // Load again: Generate works.
        QVERIFY(loadAndWait(window, engine, "", "f32"));
        QVERIFY(window.generatePanel()->generateButton()->isEnabled());
    }

    void cancellingAQueuedUnloadKeepsTheModel() {
        test::FakeEngineClient engine;
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        engine.loadModel({}, 1);
        QVERIFY(loaded.wait(2000));
        const JobId held = engine.generate(Recipe{}); // the unload waits behind it
        const JobId unload = engine.unloadModel();
        QVERIFY(!engine.modelInfo());
        QVERIFY(engine.cancel(unload));
        QVERIFY(engine.modelInfo());
        engine.cancel(held);
        QVERIFY(test::JobSpy::waitFor([&] { return !engine.isBusy(); }, 2000));
        QCOMPARE(engine.unloads, 0);
    }

    void studioRecipesRecordProvenanceAndRegenerateChecksIt() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadAndWait(window, engine, "", "f32"));
        test::JobSpy generations(&engine, GenerateJob::kKind);
        window.promptPanel()->promptEdit()->setPlainText("calm piano");
        window.generate();
        QVERIFY(generations.waitEndedCount(1, 5000));
        QTest::qWait(20);
        QCOMPARE(window.library()->clips().size(), std::size_t(1));
        const Recipe recipe = window.library()->clips()[0].recipe;
        QCOMPARE(recipe.model, std::string("embedded"));
        QCOMPARE(recipe.precision, std::string("f32"));
        QVERIFY(recipe.modelHash.rfind("sha256:", 0) == 0);

        auto regenerate = [&] { emit window.libraryPanel()->regenerateRequested(recipe); };
        int calls = engine.generateCalls;
        // Same model, another precision: refused, nothing submitted.
        QVERIFY(loadAndWait(window, engine, "", "int8"));
        regenerate();
        QCOMPARE(engine.generateCalls, calls);
        QString why = window.statusBar()->currentMessage();
        QVERIFY2(why.contains("precision") && why.contains("int8"), qPrintable(why));
        // Another model: refused, naming both.
        QVERIFY(loadAndWait(window, engine, "/models/other", "f32"));
        regenerate();
        QCOMPARE(engine.generateCalls, calls);
        why = window.statusBar()->currentMessage();
        QVERIFY2(why.contains("embedded") && why.contains("/models/other"), qPrintable(why));
        // No model: refused.
        QSignalSpy unloaded(&engine, &EngineClient::modelUnloaded);
        engine.unloadModel();
        QVERIFY(unloaded.wait(2000));
        QVERIFY(!window.generationController()->exactRegenerationProblem(recipe).isEmpty());
        // The clip's own model and precision: regenerated with its seed.
        QVERIFY(loadAndWait(window, engine, "", "f32"));
        QVERIFY(window.generationController()->exactRegenerationProblem(recipe).isEmpty());
        regenerate();
        QCOMPARE(engine.generateCalls, calls + 1);
        QCOMPARE(engine.lastRecipe.seed, recipe.seed);
        QVERIFY(generations.waitEndedCount(2, 5000));
        // A recipe from before provenance was kept regenerates with any model.
        Recipe old = recipe;
        old.precision.clear();
        old.modelHash.clear();
        QVERIFY(loadAndWait(window, engine, "/models/other", "int8"));
        QVERIFY(window.generationController()->exactRegenerationProblem(old).isEmpty());
    }
};

MOODSTEER_QTEST_SUITE(ModelChooserTest);
#include "ModelChooserTest.moc"
