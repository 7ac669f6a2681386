// ExportDialog: path helpers, unique suggestions, writing WAV/FLAC/OGG with a sidecar, and
// never overwriting without asking.
#include "TestMain.h"

#include "core/audio/AudioFile.h"
#include "core/library/ClipLibrary.h"
#include "widgets/ExportDialog.h"

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
AudioBuffer sine() {
    AudioBuffer b;
    for (int i = 0; i < 6400; ++i)
        b.samples.push_back(0.5f * std::sin(2 * M_PI * 440 * i / 32000.0));
    return b;
}
} // namespace

class ExportDialogTest : public QObject {
    Q_OBJECT
  private slots:
    void midiOnlyForSymbolicClipsAndWrittenWithSidecar() {
        QTemporaryDir dir;
        ExportDialog audioOnly(dir.path(), "clip", sine(), Recipe{});
        QCOMPARE(audioOnly.findChild<QComboBox*>()->findData("mid"), -1);

        // Codes of a SynthCodec piece (a held C major chord): MIDI is offered and written.
        CodeGrid codes(4, 25);
        for (int t = 0; t < 25; ++t) {
            codes.at(0, t) = t == 0 ? 9 : 0; // harmony: strike on the first frame, then hold
            codes.at(1, t) = 0;
            codes.at(2, t) = 0;
            codes.at(3, t) = 0;
        }
        ExportDialog dialog(dir.path(), "clip", sine(), Recipe{}, nullptr, codes);
        dialog.setFormat("mid");
        QCOMPARE(dialog.format(), QString("mid"));
        dialog.setPath(dir.filePath("notes.mid"));
        QVERIFY2(dialog.exportNow(), qPrintable(dialog.errorText()));
        QFile midi(dir.filePath("notes.mid"));
        QVERIFY(midi.open(QIODevice::ReadOnly));
        QCOMPARE(midi.read(4), QByteArray("MThd"));
        QVERIFY(QFileInfo::exists(dir.filePath("notes.recipe.json")));
    }

    void withFormat_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("expected");
        QTest::newRow("swap") << "/x/clip.wav"
                              << "flac"
                              << "/x/clip.flac";
        QTest::newRow("upper") << "/x/clip.OGG"
                               << "wav"
                               << "/x/clip.wav";
        QTest::newRow("none") << "/x/clip"
                              << "ogg"
                              << "/x/clip.ogg";
        QTest::newRow("other dot") << "/x/take.1"
                                   << "wav"
                                   << "/x/take.1.wav";
    }
    void withFormat() {
        QFETCH(QString, path);
        QFETCH(QString, format);
        QFETCH(QString, expected);
        QCOMPARE(ExportDialog::withFormat(path, format), expected);
    }

    void safeFileName_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << "calm piano"
                               << "calm piano";
        QTest::newRow("slashes") << "a/b\\c:d"
                                 << "a_b_c_d";
        QTest::newRow("hidden") << "..secret"
                                << "secret";
        QTest::newRow("empty") << "   "
                               << "clip";
    }
    void safeFileName() {
        QFETCH(QString, name);
        QFETCH(QString, expected);
        QCOMPARE(ExportDialog::safeFileName(name), expected);
    }

    void suggestionsSkipExistingFilesAndSidecars() {
        QTemporaryDir dir;
        QCOMPARE(ExportDialog::uniquePath(dir.path(), "take", "wav"), dir.filePath("take.wav"));
        QFile(dir.filePath("take.wav")).open(QIODevice::WriteOnly);
        QCOMPARE(ExportDialog::uniquePath(dir.path(), "take", "wav"), dir.filePath("take (2).wav"));
        QFile(dir.filePath("take (2).recipe.json")).open(QIODevice::WriteOnly);
        QCOMPARE(ExportDialog::uniquePath(dir.path(), "take", "wav"), dir.filePath("take (3).wav"));
    }

    void exportsEveryFormatWithSidecar_data() {
        QTest::addColumn<QString>("format");
        QTest::newRow("wav") << "wav";
        QTest::newRow("flac") << "flac";
        QTest::newRow("ogg") << "ogg";
    }
    void exportsEveryFormatWithSidecar() {
        QFETCH(QString, format);
        QTemporaryDir dir;
        Recipe r;
        r.prompt = "exported";
        r.seed = 31337;
        ExportDialog dialog(dir.path(), "my clip", sine(), r);
        QCOMPARE(dialog.path(), dir.filePath("my clip.wav"));
        dialog.setFormat(format);
        QCOMPARE(dialog.path(), dir.filePath("my clip." + format));
        QVERIFY2(dialog.exportNow(), qPrintable(dialog.errorText()));
        const QString file = dir.filePath("my clip." + format);
        QVERIFY(QFileInfo::exists(file));
        QFile sidecar(dir.filePath("my clip.recipe.json"));
        QVERIFY(sidecar.open(QIODevice::ReadOnly));
        QCOMPARE(Recipe::fromJson(sidecar.readAll().toStdString()).seed, std::uint64_t(31337));
        const AudioBuffer back = readAudioFile(file.toStdString());
        QVERIFY(std::abs(back.seconds() - 0.2) < 0.01);
    }

    void neverOverwritesWithoutAsking() {
        QTemporaryDir dir;
        const QString file = dir.filePath("mine.wav");
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("precious");
        }
        ExportDialog dialog(dir.path(), "x", sine(), Recipe{});
        dialog.setPath(file);
        int asked = 0;
        dialog.setConfirmer([&](const QString& q) {
            ++asked;
            return !q.isEmpty() && false;
        });
        QVERIFY(!dialog.exportNow());
        QCOMPARE(asked, 1);
        QVERIFY(!dialog.errorText().isEmpty());
        QCOMPARE(QFileInfo(file).size(), qint64(8)); // untouched
        dialog.setConfirmer([&](const QString&) {
            ++asked;
            return true;
        });
        QVERIFY(dialog.exportNow());
        QVERIFY(QFileInfo(file).size() > 8);
        QCOMPARE(readAudioFile(file.toStdString()).samples.size(), std::size_t(6400));
    }

    void unwritableFolderGivesAMessage() {
        ExportDialog dialog("/proc/nonexistent-folder", "x", sine(), Recipe{});
        dialog.setConfirmer([](const QString&) { return true; });
        QVERIFY(!dialog.exportNow());
        QVERIFY2(dialog.errorText().contains("failed"), qPrintable(dialog.errorText()));
    }
};

MOODSTEER_QTEST_SUITE(ExportDialogTest);
#include "ExportDialogTest.moc"
