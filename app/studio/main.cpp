// MoodSteer Studio: loads settings, starts the engine thread and the audio output, shows the
// main window and loads the model in the background.
#include "MainWindow.h"
#include "ScreenshotTour.h"
#include "ThreadedEngineClient.h"

#include "core/io/Version.h"
#include "widgets/PromptPanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QIcon>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("MoodSteer");
    QApplication::setApplicationName("MoodSteer Studio");
    QApplication::setApplicationVersion(QString::fromStdString(moodsteer::engineVersion()));
    QApplication::setWindowIcon(QIcon(":/icons/moodsteer-256.png"));

    QCommandLineParser parser;
    parser.setApplicationDescription("MoodSteer Studio: music from text and emotion");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption model("model", "Model folder for this session (default: settings).",
                             "folder");
    QCommandLineOption size("size", "Window size, e.g. 1280x800.", "WxH");
    QCommandLineOption shots("screenshots", "Save screenshots to DIR once ready, then quit.",
                             "dir");
    QCommandLineOption shotTag("screenshot-tag", "Suffix for the main window screenshot.", "tag");
    QCommandLineOption generate("generate", "Generate a first clip from PROMPT at start.",
                                "prompt");
    parser.addOption(model);
    parser.addOption(size);
    parser.addOption(shots);
    parser.addOption(shotTag);
    parser.addOption(generate);
    QCommandLineOption importMidi("import-midi", "Import a MIDI file into the library at start.",
                                  "file");
    parser.addOption(importMidi);
    parser.process(app);

    QSettings settings;
    if (parser.isSet(model))
        settings.setValue("model/folder", QDir(parser.value(model)).absolutePath());
    const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    moodsteer::studio::ThreadedEngineClient engine;
    moodsteer::studio::MainWindow window(&engine, std::make_unique<moodsteer::AudioPlayer>(),
                                         dataDir.isEmpty() ? QString() : dataDir + "/clips",
                                         &settings);
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).split('x');
        if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
    } else if (!settings.contains("window/geometry")) {
        window.resize(1280, 800);
    }
    window.show();
    if (parser.isSet(importMidi)) window.importMidiFile(parser.value(importMidi));
    if (parser.isSet(shots))
        new moodsteer::studio::ScreenshotTour(&window, &engine, parser.value(shots),
                                              parser.value(generate), parser.value(shotTag), 3000);
    else if (parser.isSet(generate))
        QObject::connect(
            &engine, &moodsteer::widgets::EngineClient::modelLoaded, &window,
            [&window, &parser, &generate] {
                window.promptPanel()->promptEdit()->setPlainText(parser.value(generate));
                window.generate();
            },
            Qt::SingleShotConnection);
    // Load after the window is up: the user sees progress instead of a frozen start.
    QTimer::singleShot(0, &window, &moodsteer::studio::MainWindow::loadModel);
    return app.exec();
}
