// VariationsController on the fake engine over a real ClipLibrary: a MIDI file (written by
// MidiWriter from a composed piece) is imported as a clip with its codes and the file named
// in its recipe; a bad file is one error naming it and adds nothing; the library panel offers
// Variations… (not Regenerate) for it. The transport's Restore selection button follows the
// waveform's selection. Variations (simulated by the fake engine) are filed as one group in
// request order with their settings in the recipes; a cancel keeps the finished ones; a
// restoration is one clip that names its range.
#include "FakeEngineClient.h"
#include "JobSpy.h"
#include "TestMain.h"

#include "core/corpus/Composer.h"
#include "core/synth/MidiWriter.h"
#include "core/synth/SynthScore.h"
#include "widgets/ClipLibraryPanel.h"
#include "widgets/TransportPanel.h"
#include "widgets/VariationsController.h"
#include "widgets/VariationsDialog.h"
#include "widgets/VariationsJob.h"
#include "widgets/WaveformView.h"

#include <QComboBox>
#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>

#include <algorithm>
#include <fstream>
#include <tuple>

using namespace moodsteer;
using namespace moodsteer::widgets;
using moodsteer::test::FakeEngineClient;
using moodsteer::test::JobSpy;

namespace {

CodeGrid writePiece(const QString& path) {
    const Piece p = Composer().compose({"jazz", 6, 4, 4.0, 3});
    MidiWriter::write(path.toStdString(), p.codes);
    return p.codes;
}

QPushButton* button(QWidget& w, const QString& text) {
    for (auto* b : w.findChildren<QPushButton*>())
        if (b->text() == text) return b;
    return nullptr;
}

} // namespace

class VariationsControllerTest : public QObject {
    Q_OBJECT
  private slots:
    void importsAMidiFileAsAClipWithItsCodes() {
        QTemporaryDir dir;
        ClipLibrary lib((dir.path() + "/lib").toStdString());
        const QString mid = dir.path() + "/blue tune.mid";
        const CodeGrid codes = writePiece(mid);
        FakeEngineClient engine;
        VariationsController controller(&engine, &lib);
        QSignalSpy added(&controller, &VariationsController::clipsAdded);
        QSignalSpy busy(&controller, &VariationsController::busyChanged);
        const JobId job = controller.importMidi(mid);
        QVERIFY(job != 0);
        QVERIFY(controller.isBusy());
        QVERIFY(JobSpy::waitFor([&] { return added.count() == 1; }, 5000));
        QVERIFY(!controller.isBusy());
        QCOMPARE(busy.count(), 2);
        const QStringList ids = added.at(0).at(0).toStringList();
        QCOMPARE(ids.size(), 1);
        const LibraryClip* clip = lib.find(ids.front().toStdString());
        QVERIFY(clip);
        QCOMPARE(QString::fromStdString(clip->name), QString("blue tune"));
        QCOMPARE(QString::fromStdString(clip->recipe.importedFrom),
                 QFileInfo(mid).absoluteFilePath());
        QVERIFY(std::abs(clip->seconds - 4.25) < 0.01); // 4 s and SynthCodec's release tail
        const auto stored = lib.codes(clip->id);
        QVERIFY(stored);
        QCOMPARE(stored->frames, codes.frames);
        // The same notes (MIDI carries no brightness, so the texture tokens may differ there).
        auto notes = [](const CodeGrid& g) {
            std::vector<std::tuple<int, int, int, int, int>> out;
            for (const auto& n : SynthScore::fromCodes(g).notes)
                out.emplace_back(int(n.part), n.key, n.velocity, n.startFrame, n.endFrame);
            std::sort(out.begin(), out.end());
            return out;
        };
        QVERIFY(notes(*stored) == notes(codes));
        QVERIFY(!notes(codes).empty());

        ClipLibraryPanel panel(&lib);
        panel.select(ids.front());
        QVERIFY(button(panel, "Variations…")->isEnabled());
        QVERIFY(!button(panel, "Regenerate")->isEnabled());
        QSignalSpy asked(&panel, &ClipLibraryPanel::variationsRequested);
        QTest::mouseClick(button(panel, "Variations…"), Qt::LeftButton);
        QCOMPARE(asked.count(), 1);
        QCOMPARE(asked.at(0).at(0).toString(), ids.front());
    }

    void aBadFileIsOneErrorNamingItAndAddsNothing() {
        QTemporaryDir dir;
        ClipLibrary lib((dir.path() + "/lib").toStdString());
        const QString bad = dir.path() + "/notes.mid";
        std::ofstream(bad.toStdString()) << "RIFF....WAVEfmt ";
        FakeEngineClient engine;
        VariationsController controller(&engine, &lib);
        QSignalSpy failed(&controller, &VariationsController::failed);
        controller.importMidi(bad);
        QVERIFY(JobSpy::waitFor([&] { return failed.count() == 1; }, 5000));
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(bad) && message.contains("not a Standard MIDI File"),
                 qPrintable(message));
        QVERIFY(!message.contains('\n'));
        QVERIFY(lib.clips().empty());
        QVERIFY(!controller.isBusy());
        // Without a library nothing is queued.
        VariationsController none(&engine, nullptr);
        QSignalSpy noLibrary(&none, &VariationsController::failed);
        QCOMPARE(none.importMidi(bad), JobId(0));
        QCOMPARE(noLibrary.count(), 1);
    }

    void generatedClipsOfOtherModelsOfferNoVariations() {
        QTemporaryDir dir;
        ClipLibrary lib(dir.path().toStdString());
        AudioBuffer a;
        a.samples.assign(3200, 0.1f);
        Recipe musicgen;
        musicgen.model = "facebook/musicgen-small";
        musicgen.prompt = "jazz";
        Recipe embedded = musicgen;
        embedded.model = "embedded";
        const std::string other = lib.add(a, musicgen).id;
        const std::string mine = lib.add(a, embedded).id;
        ClipLibraryPanel panel(&lib);
        panel.select(QString::fromStdString(other));
        QVERIFY(!button(panel, "Variations…")->isEnabled());
        QVERIFY(button(panel, "Regenerate")->isEnabled());
        panel.select(QString::fromStdString(mine));
        QVERIFY(button(panel, "Variations…")->isEnabled());
    }

    void variationsAreFiledAsOneGroup() {
        QTemporaryDir dir;
        ClipLibrary lib((dir.path() + "/lib").toStdString());
        const QString mid = dir.path() + "/tune.mid";
        writePiece(mid);
        FakeEngineClient engine;
        VariationsController controller(&engine, &lib);
        QSignalSpy added(&controller, &VariationsController::clipsAdded);
        controller.importMidi(mid);
        QVERIFY(JobSpy::waitFor([&] { return added.count() == 1; }, 5000));
        const QString source = added.at(0).at(0).toStringList().front();
        VariationSettings s;
        s.count = 3;
        s.similarity = 0.3;
        s.shiftArousal = -2;
        s.seed = 10;
        JobSpy spy(&engine, "variations");
        const JobId job = controller.makeVariations(source, s);
        QVERIFY(job != 0);
        QVERIFY(JobSpy::waitFor([&] { return added.count() == 2; }, 5000));
        QVERIFY(spy.progressReports.value(job) >= 3);
        const QStringList ids = added.at(1).at(0).toStringList();
        QCOMPARE(ids.size(), 3);
        const auto sourceCodes = lib.codes(source.toStdString());
        for (int i = 0; i < 3; ++i) {
            const LibraryClip* c = lib.find(ids[i].toStdString());
            QVERIFY(c);
            QCOMPARE(c->recipe.variation, i + 1);
            QCOMPARE(c->recipe.variations, 3);
            QCOMPARE(c->recipe.variationOf, source.toStdString());
            QCOMPARE(c->recipe.variationSimilarity, 0.3);
            QCOMPARE(c->recipe.variationShiftArousal, -2.0);
            QCOMPARE(c->recipe.seed, std::uint64_t(10 + i));
            QCOMPARE(QString::fromStdString(c->name), QString("tune · variation %1").arg(i + 1));
            const auto codes = lib.codes(c->id);
            QVERIFY(codes && codes->frames == sourceCodes->frames);
            QVERIFY(codes->data != sourceCodes->data);
        }
        ClipLibraryPanel panel(&lib);
        QTreeWidgetItem* group = nullptr;
        for (int i = 0; i < panel.list()->topLevelItemCount(); ++i)
            if (panel.list()->topLevelItem(i)->childCount() > 0)
                group = panel.list()->topLevelItem(i);
        QVERIFY(group);
        QCOMPARE(group->text(0), QString("3 variations of tune (similarity 0.30, arousal -2.0)"));
        QCOMPARE(group->childCount(), 3);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(group->child(i)->data(0, Qt::UserRole).toString(), ids[i]);
        // A variation can be varied again, not regenerated.
        panel.select(ids[1]);
        QVERIFY(button(panel, "Variations…")->isEnabled());
        QVERIFY(!button(panel, "Regenerate")->isEnabled());
    }

    void cancelKeepsTheFinishedVariationsAndRestoreNamesItsRange() {
        QTemporaryDir dir;
        ClipLibrary lib((dir.path() + "/lib").toStdString());
        const QString mid = dir.path() + "/tune.mid";
        writePiece(mid);
        FakeEngineClient engine;
        VariationsController controller(&engine, &lib);
        QSignalSpy added(&controller, &VariationsController::clipsAdded);
        QSignalSpy busy(&controller, &VariationsController::busyChanged);
        controller.importMidi(mid);
        QVERIFY(JobSpy::waitFor([&] { return added.count() == 1; }, 5000));
        const QString source = added.at(0).at(0).toStringList().front();
        VariationSettings s;
        s.count = 8;
        JobSpy spy(&engine, "variations");
        const JobId job = controller.makeVariations(source, s);
        QVERIFY(JobSpy::waitFor([&] { return spy.progressReports.value(job) >= 7; }, 5000));
        controller.cancel();
        QVERIFY(JobSpy::waitFor([&] { return spy.hasEnded(job); }, 5000));
        QVERIFY(!controller.isBusy());
        const auto outcome = spy.result(job).value<VariationsJob::Outcome>();
        QVERIFY(outcome.cancelled);
        QVERIFY(outcome.variations.size() >= 2 && outcome.variations.size() < 8);
        QCOMPARE(lib.clips().size(), std::size_t(1 + outcome.variations.size()));

        const JobId r = controller.restore(source, 1.0, 2.5, 4);
        QVERIFY(JobSpy::waitFor([&] { return spy.hasEnded(r); }, 5000));
        QCOMPARE(engine.variationRequests.back().count, 1);
        QCOMPARE(*engine.variationRequests.back().restoreFrom, 1.0);
        const QString restored = added.last().at(0).toStringList().front();
        const LibraryClip* c = lib.find(restored.toStdString());
        QVERIFY(c);
        QCOMPARE(c->recipe.restoredFrom, 1.0);
        QCOMPARE(c->recipe.restoredTo, 2.5);
        QCOMPARE(QString::fromStdString(c->name), QString("tune · restored 1.0–2.5 s"));
        // A clip without codes cannot be varied: one error, nothing queued.
        AudioBuffer a;
        a.samples.assign(3200, 0.1f);
        Recipe other;
        other.model = "facebook/musicgen-small";
        const QString plain = QString::fromStdString(lib.add(a, other).id);
        QSignalSpy failed(&controller, &VariationsController::failed);
        QCOMPARE(controller.makeVariations(plain, s), JobId(0));
        QCOMPARE(failed.count(), 1);
    }

    void theDialogMapsItsControlsToSettings() {
        VariationsDialog dialog("piece");
        dialog.countBox()->setValue(6);
        dialog.similaritySlider()->setValue(30);
        dialog.emotionBox()->setCurrentIndex(dialog.emotionBox()->findData(QPointF(0, -2)));
        dialog.seedBox()->setValue(9);
        const VariationSettings s = dialog.settings();
        QCOMPARE(s.count, 6);
        QCOMPARE(s.similarity, 0.3);
        QCOMPARE(s.shiftArousal, -2.0);
        QCOMPARE(s.shiftValence, 0.0);
        QCOMPARE(s.seed, std::uint64_t(9));
        QVERIFY(!s.restoreFrom);
        VariationsDialog again("piece");
        again.setSettings(s);
        QCOMPARE(again.settings().similarity, 0.3);
        QCOMPARE(again.emotionBox()->currentData().toPointF(), QPointF(0, -2));
        QCOMPARE(again.countBox()->maximum(), Recipe::kMaxVariations);
        // Valence too (a model with a valence channel): brighter and calmer at once.
        dialog.emotionBox()->setCurrentIndex(dialog.emotionBox()->findData(QPointF(2, -2)));
        QVERIFY(dialog.emotionBox()->currentIndex() > 0);
        const VariationSettings both = dialog.settings();
        QCOMPARE(both.shiftValence, 2.0);
        QCOMPARE(both.shiftArousal, -2.0);
        again.setSettings(both);
        QCOMPARE(again.settings().shiftValence, 2.0);
    }

    void restoreSelectionFollowsTheWaveformSelection() {
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel transport(&player);
        transport.resize(800, 200);
        AudioBuffer clip;
        clip.samples.assign(32000 * 8, 0.2f);
        transport.showClip(clip);
        QToolButton* restore = transport.restoreButton();
        QVERIFY(!restore->isEnabled()); // no selection, and not yet available
        transport.setRestoreAvailable(true);
        QVERIFY(!restore->isEnabled()); // still no selection
        WaveformView* wave = transport.waveform();
        const int w = wave->width();
        QTest::mousePress(wave, Qt::LeftButton, {}, QPoint(w / 4, 20));
        QTest::mouseMove(wave, QPoint(w / 2, 20));
        QTest::mouseRelease(wave, Qt::LeftButton, {}, QPoint(w / 2, 20));
        QVERIFY(wave->selection());
        QVERIFY(std::abs(wave->selection()->first - 2.0) < 0.1);
        QVERIFY(std::abs(wave->selection()->second - 4.0) < 0.1);
        QVERIFY(restore->isEnabled());
        QSignalSpy asked(&transport, &TransportPanel::restoreRequested);
        QTest::mouseClick(restore, Qt::LeftButton);
        QCOMPARE(asked.count(), 1);
        QVERIFY(std::abs(asked.at(0).at(0).toDouble() - 2.0) < 0.1);
        // A click (no drag) clears the selection; a new clip does too.
        QTest::mouseClick(wave, Qt::LeftButton, {}, QPoint(w / 3, 20));
        QVERIFY(!wave->selection());
        QVERIFY(!restore->isEnabled());
        wave->setSelection(1, 2);
        QVERIFY(restore->isEnabled());
        transport.setRestoreAvailable(false, "not a SynthCodec clip");
        QVERIFY(!restore->isEnabled());
        QCOMPARE(restore->toolTip(), QString("not a SynthCodec clip"));
        transport.showClip(clip);
        QVERIFY(!wave->selection());
    }
};

MOODSTEER_QTEST_SUITE(VariationsControllerTest);
#include "VariationsControllerTest.moc"
