// The Models dialog against a tiny hub on loopback (tests/hub/hub_server.py): the catalogue
// with melody unsupported, a download with progress into a temporary cache, "Use", cancel of a
// slow download, and removal after confirmation.
#include "HubTestServer.h"
#include "TestMain.h"
#include "TestPaths.h"

#include "widgets/ModelsDialog.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

using namespace moodsteer;
using namespace moodsteer::widgets;
namespace fs = std::filesystem;

class ModelsDialogTest : public QObject {
    Q_OBJECT
    const QString repo = "test-org/tiny-musicgen";

    struct Hub {
        QTemporaryDir dir;
        std::unique_ptr<test::HubTestServer> server;
        HubSettings settings;
        Hub() {
            const fs::path served = fs::path(dir.path().toStdString()) / "served";
            fs::create_directories(served / "test-org/tiny-musicgen");
            for (const char* f : {"config.json", "generation_config.json", "model.safetensors"})
                fs::copy_file(fs::path(test::parityDir()) / f,
                              served / "test-org/tiny-musicgen" / f);
            server = std::make_unique<test::HubTestServer>(served);
            settings.endpoint = server->endpoint();
            settings.cacheRoot = dir.filePath("cache").toStdString();
        }
    };

  private slots:
    void init() {
        if (!test::haveParity()) QSKIP("../shared/parity is absent");
        qputenv("XDG_CONFIG_HOME", QDir::tempPath().toUtf8() + "/moodsteer-models-dialog-test");
    }

    void listsTheCatalogueWithMelodyUnsupported() {
        Hub hub;
        ModelsDialog dialog(hub.settings);
        QVERIFY(dialog.rowOf("embedded") >= 0);
        QVERIFY(dialog.statusOf("facebook/musicgen-small").startsWith("not downloaded"));
        QVERIFY(dialog.statusOf("facebook/musicgen-large").startsWith("not downloaded"));
        QVERIFY(dialog.statusOf("m-a-p/MERT-v1-95M").startsWith("not downloaded"));
        QVERIFY(dialog.statusOf("facebook/musicgen-melody").startsWith("unsupported: "));
        QVERIFY(!dialog.download("facebook/musicgen-melody"));
        QVERIFY(dialog.statusLine().contains("not supported"));
        QVERIFY(!dialog.download("not a repo"));
    }

    void downloadsWithProgressAndUsesTheModel() {
        Hub hub;
        hub.server->control("{\"trickle\": 8000000}"); // ~0.5 s: progress is visible
        ModelsDialog dialog(hub.settings);
        QSignalSpy finished(&dialog, &ModelsDialog::downloadFinished);
        QVERIFY(dialog.download(repo));
        QVERIFY(dialog.isDownloading());
        QTRY_VERIFY_WITH_TIMEOUT(dialog.progressText().contains("MB/s"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
        const QString folder = finished.at(0).at(0).toString();
        QCOMPARE(finished.at(0).at(1).toString(), QString());
        QVERIFY(folder.contains("models--test-org--tiny-musicgen/snapshots/"));
        QCOMPARE(dialog.statusOf(repo), QString("installed"));

        QSignalSpy chosen(&dialog, &ModelsDialog::modelChosen);
        auto* table = dialog.findChild<QTableWidget*>();
        table->selectRow(dialog.rowOf(repo));
        auto buttons = dialog.findChildren<QPushButton*>();
        for (auto* b : buttons)
            if (b->text().contains("Use")) b->click();
        QCOMPARE(chosen.count(), 1);
        QCOMPARE(chosen.at(0).at(0).toString(), folder);
    }

    void cancelStopsADownloadAndRemoveAsksFirst() {
        Hub hub;
        hub.server->control("{\"trickle\": 100000}"); // 40 s for the weights
        ModelsDialog dialog(hub.settings);
        QSignalSpy finished(&dialog, &ModelsDialog::downloadFinished);
        QVERIFY(dialog.download(repo));
        QTRY_VERIFY_WITH_TIMEOUT(dialog.progressText().startsWith("model.safetensors"), 10000);
        QTest::qWait(300); // some of the weights are on disk
        dialog.cancelDownload();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 5000);
        QVERIFY(finished.at(0).at(1).toString().contains("cancelled"));
        QVERIFY(dialog.statusOf(repo).startsWith("partly downloaded"));

        QString asked;
        dialog.confirm = [&](const QString& q) {
            asked = q;
            return false;
        };
        QVERIFY(!dialog.removeModel(repo));
        QVERIFY(asked.contains(repo));
        QVERIFY(fs::exists(hub.settings.cacheRoot + "/models--test-org--tiny-musicgen"));
        dialog.confirm = [](const QString&) { return true; };
        QVERIFY(dialog.removeModel(repo));
        QVERIFY(!fs::exists(hub.settings.cacheRoot + "/models--test-org--tiny-musicgen"));
        QCOMPARE(dialog.rowOf(repo), -1); // not in the catalogue, no longer in the cache
    }
};

MOODSTEER_QTEST_SUITE(ModelsDialogTest);
#include "ModelsDialogTest.moc"
