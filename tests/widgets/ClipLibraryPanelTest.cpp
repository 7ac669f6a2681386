// ClipLibraryPanel over a real ClipLibrary in a scratch folder: listing, rename and delete
// (with confirmation) persisting across a reopen, regenerate, A/B switching, two windows on
// one library.
#include "TestMain.h"

#include "widgets/ClipLibraryPanel.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <filesystem>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
AudioBuffer tone(double seconds) {
    AudioBuffer b;
    b.samples.assign(static_cast<std::size_t>(seconds * b.sampleRate), 0.25f);
    return b;
}
Recipe recipe(const char* prompt, std::uint64_t seed) {
    Recipe r;
    r.prompt = prompt;
    r.seed = seed;
    r.valence = 6.0;
    r.arousal = 4.0;
    return r;
}
} // namespace

class ClipLibraryPanelTest : public QObject {
    Q_OBJECT
  private slots:
    void listsNewestFirstAndShowsTheRecipe() {
        QTemporaryDir dir;
        ClipLibrary lib(dir.path().toStdString());
        lib.add(tone(0.1), recipe("first", 1));
        lib.add(tone(0.2), recipe("second", 2));
        ClipLibraryPanel panel(&lib);
        QCOMPARE(panel.list()->topLevelItemCount(), 2);
        QCOMPARE(panel.list()->topLevelItem(0)->text(0), QString("second (v 6.0 a 4.0)"));
        QCOMPARE(panel.list()->topLevelItem(0)->text(4), QString("2"));
        QCOMPARE(panel.list()->topLevelItem(1)->text(2), QString("6.0, 4.0"));
    }

    void aSessionHasItsIconLengthAndPath() {
        QTemporaryDir dir;
        ClipLibrary lib(dir.path().toStdString());
        lib.add(tone(0.1), recipe("clip", 1));
        Recipe s;
        s.prompt = "{word} piano piece";
        s.seconds = 125;
        s.windowSeconds = 40.8;
        s.emotionPath = VaPath::iso({5, 8}, {6, 2}, 100, 25);
        lib.add(tone(125), s);
        ClipLibraryPanel panel(&lib);
        QTreeWidgetItem* session = panel.list()->topLevelItem(0);
        QTreeWidgetItem* clip = panel.list()->topLevelItem(1);
        QVERIFY(session->data(0, ClipLibraryPanel::kSessionRole).toBool());
        QVERIFY(!clip->data(0, ClipLibraryPanel::kSessionRole).toBool());
        QVERIFY(!session->icon(0).isNull());
        QVERIFY(clip->icon(0).isNull());
        QCOMPARE(session->text(1), QString("2:05"));
        QCOMPARE(clip->text(1), QString("0.1 s"));
        QCOMPARE(session->text(2), QString("5.0, 8.0 → 6.0, 2.0"));
        QVERIFY(session->toolTip(0).startsWith("Session"));
    }

    void takesOfOneBatchAreGroupedInTakeOrder() {
        QTemporaryDir dir;
        ClipLibrary lib(dir.path().toStdString());
        lib.add(tone(0.1), recipe("alone", 7));
        // A batch of 3 takes arrives 2, 3, 1 (as the engine sends them); another batch with
        // the same prompt but another first seed is its own group.
        std::string take1;
        for (int take : {2, 3, 1}) {
            Recipe r = recipe("batch", 40 + take - 1);
            r.take = take;
            r.takes = 3;
            const auto& clip = lib.add(tone(0.1), r);
            if (take == 1) take1 = clip.id;
        }
        for (int take : {1, 2}) {
            Recipe r = recipe("batch", 90 + take - 1);
            r.take = take;
            r.takes = 2;
            lib.add(tone(0.1), r);
        }
        ClipLibraryPanel panel(&lib);
        QCOMPARE(panel.list()->topLevelItemCount(), 3); // two groups and the single clip
        QTreeWidgetItem* second = panel.list()->topLevelItem(0);
        QTreeWidgetItem* first = panel.list()->topLevelItem(1);
        QCOMPARE(second->childCount(), 2);
        QCOMPARE(first->childCount(), 3);
        QVERIFY(first->text(0).startsWith("3 takes: batch"));
        QVERIFY(first->data(0, Qt::UserRole).toString().isEmpty()); // a group is not a clip
        for (int i = 0; i < 3; ++i)
            QCOMPARE(first->child(i)->text(4),
                     QString("%1 · take %2").arg(40 + i).arg(i + 1)); // take order
        QCOMPARE(panel.list()->topLevelItem(2)->childCount(), 0);
        // Takes are clips like any other: select, set A/B, switch.
        panel.select(QString::fromStdString(take1));
        QCOMPARE(panel.selectedId(), QString::fromStdString(take1));
        panel.setSelectedAsA();
        panel.select(first->child(1)->data(0, Qt::UserRole).toString());
        panel.setSelectedAsB();
        QSignalSpy play(&panel, &ClipLibraryPanel::playRequested);
        panel.switchAb();
        QCOMPARE(play.count(), 1);
        QVERIFY(!panel.slotA().isEmpty() && !panel.slotB().isEmpty());
        QCOMPARE(ClipLibraryPanel::takeGroupKey(lib.clips()[1].recipe),
                 ClipLibraryPanel::takeGroupKey(lib.clips()[3].recipe));
    }

    void variationBatchesGroupBySettingsAndSayTheirShifts() {
        QTemporaryDir dir;
        ClipLibrary lib(dir.path().toStdString());
        // Two batches of 2 variations of one clip with the same seeds and similarity, one
        // brighter: two groups, each saying what it asked for.
        for (double valence : {0.0, 2.0})
            for (int i = 1; i <= 2; ++i) {
                Recipe r = recipe("", 10 + i - 1);
                r.model = "embedded";
                r.variationOf = "clip-0001";
                r.variation = i;
                r.variations = 2;
                r.variationSimilarity = 0.5;
                r.variationShiftArousal = -2;
                r.variationShiftValence = valence;
                lib.add(tone(0.1), r);
            }
        QVERIFY(ClipLibraryPanel::variationGroupKey(lib.clips()[0].recipe) ==
                ClipLibraryPanel::variationGroupKey(lib.clips()[1].recipe));
        QVERIFY(ClipLibraryPanel::variationGroupKey(lib.clips()[0].recipe) !=
                ClipLibraryPanel::variationGroupKey(lib.clips()[2].recipe));
        ClipLibraryPanel panel(&lib);
        QCOMPARE(panel.list()->topLevelItemCount(), 2);
        QStringList titles;
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(panel.list()->topLevelItem(i)->childCount(), 2);
            titles << panel.list()->topLevelItem(i)->text(0);
        }
        titles.sort();
        QVERIFY2(titles[0].endsWith("(similarity 0.50, arousal -2.0)"), qPrintable(titles[0]));
        QVERIFY2(titles[1].endsWith("(similarity 0.50, valence +2.0, arousal -2.0)"),
                 qPrintable(titles[1]));
    }

    void renameAndDeletePersist() {
        QTemporaryDir dir;
        std::string keep, drop;
        {
            ClipLibrary lib(dir.path().toStdString());
            keep = lib.add(tone(0.1), recipe("keep", 1)).id;
            drop = lib.add(tone(0.1), recipe("drop", 2)).id;
            ClipLibraryPanel panel(&lib);
            panel.select(QString::fromStdString(keep));
            panel.renameSelected("Morning theme");
            QCOMPARE(panel.list()->topLevelItem(1)->text(0), QString("Morning theme"));

            QStringList asked;
            panel.setConfirmer([&](const QString& q) {
                asked << q;
                return false;
            });
            panel.select(QString::fromStdString(drop));
            panel.deleteSelected();
            QCOMPARE(asked.size(), 1);
            QVERIFY(asked[0].contains("drop"));
            QCOMPARE(lib.clips().size(), std::size_t(2)); // declined: nothing deleted
            panel.setConfirmer([](const QString&) { return true; });
            panel.deleteSelected();
            QCOMPARE(lib.clips().size(), std::size_t(1));
            QVERIFY(!std::filesystem::exists(lib.audioPath(drop)));
            QCOMPARE(panel.list()->topLevelItemCount(), 1);
        }
        ClipLibrary reopened(dir.path().toStdString());
        QCOMPARE(reopened.clips().size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(reopened.clips()[0].name), QString("Morning theme"));
    }

    void regenerateEmitsTheStoredRecipe() {
        QTemporaryDir dir;
        ClipLibrary lib(dir.path().toStdString());
        const auto id = lib.add(tone(0.1), recipe("again", 4242)).id;
        ClipLibraryPanel panel(&lib);
        panel.select(QString::fromStdString(id));
        QSignalSpy spy(&panel, &ClipLibraryPanel::regenerateRequested);
        for (auto* b : panel.findChildren<QPushButton*>())
            if (b->text() == "Regenerate") QTest::mouseClick(b, Qt::LeftButton);
        QCOMPARE(spy.count(), 1);
        const auto r = spy.at(0).at(0).value<Recipe>();
        QCOMPARE(r.seed, std::uint64_t(4242));
        QCOMPARE(r.prompt, std::string("again"));
    }

    void abSwitchAlternatesAtTheSamePosition() {
        QTemporaryDir dir;
        ClipLibrary lib(dir.path().toStdString());
        const QString a = QString::fromStdString(lib.add(tone(0.1), recipe("A", 1)).id);
        const QString b = QString::fromStdString(lib.add(tone(0.1), recipe("B", 2)).id);
        ClipLibraryPanel panel(&lib);
        QSignalSpy spy(&panel, &ClipLibraryPanel::playRequested);
        panel.switchAb(); // no slots yet: nothing happens
        QCOMPARE(spy.count(), 0);
        panel.select(a);
        panel.setSelectedAsA();
        panel.select(b);
        panel.setSelectedAsB();
        panel.switchAb();
        panel.switchAb();
        panel.switchAb();
        QCOMPARE(spy.count(), 3);
        // First: start A from the top and play; then switch keeping the position.
        QCOMPARE(spy[0], (QList<QVariant>{a, false, true}));
        QCOMPARE(spy[1], (QList<QVariant>{b, true, false}));
        QCOMPARE(spy[2], (QList<QVariant>{a, true, false}));
        QCOMPARE(panel.activeSlot(), 'A');
    }

    // Two studio windows on one library: a clip added in one shows up in the other's panel at
    // its next refresh, and deleting in the other keeps the first window's new clip.
    void twoWindowsOnOneLibrarySeeEachOther() {
        QTemporaryDir dir;
        ClipLibrary first(dir.path().toStdString());
        ClipLibrary second(dir.path().toStdString());
        ClipLibraryPanel firstPanel(&first);
        ClipLibraryPanel secondPanel(&second);
        const std::string a = first.add(tone(0.1), recipe("from window one", 1)).id;
        const std::string b = second.add(tone(0.1), recipe("from window two", 2)).id;
        firstPanel.refresh();
        QCOMPARE(firstPanel.list()->topLevelItemCount(), 2);
        second.remove(b);
        QVERIFY(ClipLibrary(dir.path().toStdString()).find(a) != nullptr);
        firstPanel.refresh();
        QCOMPARE(firstPanel.list()->topLevelItemCount(), 1);
    }
};

MOODSTEER_QTEST_SUITE(ClipLibraryPanelTest);
#include "ClipLibraryPanelTest.moc"
