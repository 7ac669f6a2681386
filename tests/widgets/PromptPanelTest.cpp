// PromptPanel: fields -> Recipe in every emotion mode, seed lock, recipe round trip, adapting
// to the model (no AV encoder, length limit), token-id prompts.
#include "TestMain.h"

#include "widgets/EmotionGuidanceBox.h"
#include "widgets/PromptPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace moodsteer;
using namespace moodsteer::widgets;

class PromptPanelTest : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    VaWordList words() {
        const QString csv = dir_.filePath("w.csv");
        std::ofstream(csv.toStdString()) << "word,valence,arousal\nhappy,8,6\ngloomy,2,3\n";
        return VaWordList::fromCsv(csv);
    }

  private slots:
    void avModeCarriesTheTarget() {
        PromptPanel panel;
        ModelInfo info;
        info.hasTokenizer = info.hasAvEncoder = true;
        panel.setModelInfo(info, "embedded");
        panel.promptEdit()->setPlainText("  soft piano  ");
        panel.findChildren<QDoubleSpinBox*>()[0]->setValue(12.5); // length
        panel.setSeed(1234);
        panel.pad()->setTarget(7.5, 2.5);
        const Recipe r = panel.recipe();
        QCOMPARE(QString::fromStdString(r.prompt), QString("soft piano"));
        QCOMPARE(r.seconds, 12.5);
        QCOMPARE(r.seed, std::uint64_t(1234));
        QVERIFY(r.valence && r.arousal);
        QCOMPARE(*r.valence, 7.5);
        QCOMPARE(*r.arousal, 2.5);
        QCOMPARE(r.guidance, 3.0);
        QCOMPARE(r.topK, 250);
        QCOMPARE(r.model, std::string("embedded"));
    }

    void baselineModeWritesTheWordIntoThePrompt_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("prompt");
        QTest::newRow("no text") << ""
                                 << "Generate a happy music.";
        QTest::newRow("with text") << "jazz trio"
                                   << "jazz trio. Generate a happy music.";
    }
    void baselineModeWritesTheWordIntoThePrompt() {
        QFETCH(QString, text);
        QFETCH(QString, prompt);
        PromptPanel panel;
        panel.pad()->setWords(words());
        panel.setEmotionMode(PromptPanel::EmotionMode::TextBaseline);
        panel.promptEdit()->setPlainText(text);
        panel.pad()->setTarget(7.5, 6.5);
        const Recipe r = panel.recipe();
        QCOMPARE(QString::fromStdString(r.prompt), prompt);
        QVERIFY(!r.valence && !r.arousal);
    }

    void offModeHasNoEmotion() {
        PromptPanel panel;
        panel.setEmotionMode(PromptPanel::EmotionMode::Off);
        QVERIFY(!panel.pad()->isEnabled());
        const Recipe r = panel.recipe();
        QVERIFY(!r.valence && !r.arousal);
    }

    void seedLockDecidesWhetherNextRecipeRolls() {
        PromptPanel panel;
        panel.setSeed(77);
        panel.setSeedLocked(true);
        QCOMPARE(panel.nextRecipe().seed, std::uint64_t(77));
        QCOMPARE(panel.nextRecipe().seed, std::uint64_t(77));
        panel.setSeedLocked(false);
        const auto a = panel.nextRecipe().seed, b = panel.nextRecipe().seed;
        QVERIFY(a != 77 || b != 77);
        QCOMPARE(panel.seed(), b);
    }

    void setRecipeRoundTrips() {
        Recipe r;
        r.model = "embedded";
        r.prompt = "warm strings";
        r.valence = 3.25;
        r.arousal = 6.75;
        r.seed = 987654321;
        r.guidance = 4.5;
        r.temperature = 0.8;
        r.topK = 100;
        r.seconds = 6.5;
        PromptPanel panel;
        panel.setRecipe(r);
        QVERIFY(panel.seedLocked());
        const Recipe back = panel.recipe();
        QCOMPARE(back.prompt, r.prompt);
        QCOMPARE(*back.valence, 3.25);
        QCOMPARE(*back.arousal, 6.75);
        QCOMPARE(back.seed, r.seed);
        QCOMPARE(back.guidance, 4.5);
        QCOMPARE(back.temperature, 0.8);
        QCOMPARE(back.topK, 100);
        QCOMPARE(back.seconds, 6.5);
        QCOMPARE(back.toJson(), panel.nextRecipe().toJson()); // locked: regenerates exactly
    }

    void takesControlAndACachePrecisionThatRegenerates() {
        PromptPanel panel;
        QCOMPARE(panel.takes(), 1);
        panel.setTakes(4);
        QCOMPARE(panel.takes(), 4);
        panel.setTakes(99); // the spin box's range: 1..8
        QCOMPARE(panel.takes(), 8);
        // Showing a take's recipe regenerates that clip alone, with the cache it was made with.
        Recipe take;
        take.prompt = "dawn";
        take.seed = 12;
        take.take = 3;
        take.takes = 4;
        take.kvCache = "int8";
        panel.setRecipe(take);
        QCOMPARE(panel.takes(), 1);
        QCOMPARE(panel.recipe().kvCache, std::string("int8"));
        QCOMPARE(panel.recipe().seed, std::uint64_t(12));
    }

    void kvCacheChoiceGoesIntoTheRecipe() {
        PromptPanel panel;
        // Default: the engine chooses for the loaded weights, and the recipe says nothing.
        QCOMPARE(panel.kvCacheBox()->currentText(), QString("default"));
        QVERIFY(panel.recipe().kvCache.empty());
        // The user's choice in the box reaches every next recipe, a rolled seed or not.
        panel.kvCacheBox()->setCurrentIndex(panel.kvCacheBox()->findText("int8"));
        QCOMPARE(panel.recipe().kvCache, std::string("int8"));
        QCOMPARE(panel.nextRecipe().kvCache, std::string("int8"));
        panel.kvCacheBox()->setCurrentIndex(panel.kvCacheBox()->findText("f32"));
        QCOMPARE(panel.nextRecipe().kvCache, std::string("f32"));
        // A recipe from before the cache was kept (none named) goes back to the default.
        Recipe old;
        old.prompt = "old";
        panel.setRecipe(old);
        QCOMPARE(panel.kvCache(), QString());
        QVERIFY(panel.recipe().kvCache.empty());
        panel.setKvCache("bf16");
        QCOMPARE(panel.kvCacheBox()->currentText(), QString("bf16"));
        QCOMPARE(Recipe::fromJson(panel.recipe().toJson()).kvCache, std::string("bf16"));
    }

    void modelWithoutAvEncoderFallsBackToBaseline() {
        PromptPanel panel;
        QCOMPARE(panel.emotionMode(), PromptPanel::EmotionMode::AvEncoder);
        ModelInfo info;
        info.hasAvEncoder = false;
        info.hasTokenizer = false;
        info.maxFrames = 500;
        info.frameRate = 50;
        panel.setModelInfo(info, "/models/musicgen-small");
        QCOMPARE(panel.emotionMode(), PromptPanel::EmotionMode::TextBaseline);
        auto* combo = panel.findChild<QComboBox*>("emotionMode");
        QVERIFY(combo);
        auto* model = qobject_cast<QStandardItemModel*>(combo->model());
        QVERIFY(!model->item(0)->isEnabled());
        QCOMPARE(panel.findChildren<QDoubleSpinBox*>()[0]->maximum(), 10.0);
        QCOMPARE(panel.recipe().model, std::string("/models/musicgen-small"));
        panel.promptEdit()->setPlainText("ids: 5, 9 1");
        const Recipe r = panel.recipe();
        QCOMPARE(r.promptIds, (std::vector<std::int64_t>{5, 9, 1}));
        QVERIFY(r.prompt.empty());
    }

    void emotionGuidanceIsTheModelsUntilTheUserSetsIt() {
        PromptPanel panel;
        ModelInfo embedded;
        embedded.hasTokenizer = embedded.hasAvEncoder = true;
        embedded.defaultGuidance = 2.0;
        embedded.defaultEmotionGuidance = 4.0;
        panel.setModelInfo(embedded, "embedded");
        QCOMPARE(panel.recipe().emotionGuidance.value_or(0), 4.0);
        panel.emotionGuidanceBox()->setValue(6.5);
        QCOMPARE(panel.recipe().emotionGuidance.value_or(0), 6.5);
        // Its minimum is "as guidance": plain CFG, nothing in the recipe.
        panel.emotionGuidanceBox()->setValue(panel.emotionGuidanceBox()->minimum());
        QCOMPARE(panel.emotionGuidanceBox()->text(), QString("as guidance"));
        QVERIFY(!panel.recipe().emotionGuidance);
        // Only the AV mode guides the token; a recipe brings its own (or none).
        panel.setEmotionMode(PromptPanel::EmotionMode::Off);
        QVERIFY(!panel.emotionGuidanceBox()->isEnabled());
        QVERIFY(!panel.recipe().emotionGuidance);
        Recipe r;
        r.valence = r.arousal = 3;
        r.emotionGuidance = 5.5;
        panel.setRecipe(r);
        QVERIFY(panel.emotionGuidanceBox()->isEnabled());
        QCOMPARE(panel.recipe().emotionGuidance.value_or(0), 5.5);
        r.emotionGuidance.reset();
        panel.setRecipe(r);
        QVERIFY(!panel.recipe().emotionGuidance);
        ModelInfo musicgen; // no AV encoder, no default
        musicgen.hasTokenizer = true;
        panel.setModelInfo(musicgen, "/models/musicgen-small");
        QVERIFY(!panel.recipe().emotionGuidance);
    }

    void eachModelBringsItsDefaultGuidance() {
        PromptPanel panel;
        ModelInfo embedded;
        embedded.hasTokenizer = embedded.hasAvEncoder = true;
        embedded.defaultGuidance = 2.0;
        panel.setModelInfo(embedded, "embedded");
        QCOMPARE(panel.recipe().guidance, 2.0);
        ModelInfo musicgen;
        musicgen.hasTokenizer = true; // defaultGuidance stays MusicGen's 3
        panel.setModelInfo(musicgen, "/models/musicgen-small");
        QCOMPARE(panel.recipe().guidance, 3.0);
        // A recipe set after the model (library "open recipe") keeps its own guidance.
        Recipe r = panel.recipe();
        r.guidance = 4.5;
        panel.setRecipe(r);
        QCOMPARE(panel.recipe().guidance, 4.5);
    }

    void parsePromptIds_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("count");
        QTest::newRow("ids") << "ids: 1 2 3" << 3;
        QTest::newRow("commas") << "ids:4,5" << 2;
        QTest::newRow("text") << "calm piano" << 0;
        QTest::newRow("negative") << "ids: 1 -2" << 0;
        QTest::newRow("garbage") << "ids: 1 x" << 0;
    }
    void parsePromptIds() {
        QFETCH(QString, text);
        QFETCH(int, count);
        QCOMPARE(int(PromptPanel::parsePromptIds(text).size()), count);
    }
};

MOODSTEER_QTEST_SUITE(PromptPanelTest);
#include "PromptPanelTest.moc"
