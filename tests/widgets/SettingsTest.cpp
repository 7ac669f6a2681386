// StudioSettings persistence through QSettings and the settings dialog's model-folder check.
#include "TestMain.h"
#include "TestPaths.h"

#include "widgets/SettingsDialog.h"

#include <QFile>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace moodsteer::widgets;

class SettingsTest : public QObject {
    Q_OBJECT
  private slots:
    void roundTripsThroughQSettings() {
        QTemporaryDir dir;
        const QString ini = dir.filePath("studio.ini");
        StudioSettings s;
        s.modelFolder = "/models/musicgen-small";
        s.precision = "int4";
        s.threads = 2;
        s.audioDevice = "test output";
        s.outputFolder = "/tmp/out";
        {
            QSettings settings(ini, QSettings::IniFormat);
            s.save(settings);
        }
        QSettings settings(ini, QSettings::IniFormat);
        QCOMPARE(StudioSettings::load(settings), s);
    }

    void defaultsOnFirstStart() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("empty.ini"), QSettings::IniFormat);
        const StudioSettings s = StudioSettings::load(settings);
        QVERIFY(s.modelFolder.isEmpty()); // the embedded model
        QVERIFY(s.threads >= 1);
        QVERIFY(!s.outputFolder.isEmpty());
        // A precision this build does not know (an old or hand-edited file) is not kept.
        settings.setValue("model/precision", "fp8");
        QCOMPARE(StudioSettings::load(settings).precision, QString("f32"));
    }

    void modelFolderCheck() {
        QTemporaryDir dir;
        QVERIFY(
            SettingsDialog::checkModelFolder(dir.filePath("missing")).contains("does not exist"));
        QVERIFY(SettingsDialog::checkModelFolder(dir.path()).contains("config.json"));
        QFile(dir.filePath("config.json")).open(QIODevice::WriteOnly);
        QVERIFY(SettingsDialog::checkModelFolder(dir.path()).contains("model.safetensors"));
        QFile(dir.filePath("model.safetensors")).open(QIODevice::WriteOnly);
        QVERIFY(SettingsDialog::checkModelFolder(dir.path()).isEmpty());
    }

    void dialogRefusesABrokenFolder() {
        QTemporaryDir dir;
        StudioSettings s;
        s.modelFolder = dir.path(); // empty folder: not a model
        s.outputFolder = "/tmp";
        SettingsDialog dialog(s, {"Default output", "test output"}, "");
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QVERIFY(dialog.errorText().contains("config.json"));
        s.audioDevice = "test output";
        s.modelFolder = QString::fromStdString(moodsteer::test::parityDir());
        dialog.setSettings(s);
        if (!moodsteer::test::haveParity())
            QSKIP("*** parity fixtures absent: valid-folder path NOT checked ***");
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.settings(), s);
    }
};

MOODSTEER_QTEST_SUITE(SettingsTest);
#include "SettingsTest.moc"
