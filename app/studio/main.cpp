// MoodSteer Studio: loads settings, starts the engine thread and the audio output, shows the
// main window and loads the model in the background.
#include "MainWindow.h"
#include "ThreadedEngineClient.h"

#include "core/Version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QIcon>
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
    parser.addOption(model);
    parser.addOption(size);
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
    // Load after the window is up: the user sees progress instead of a frozen start.
    QTimer::singleShot(0, &window, &moodsteer::studio::MainWindow::loadModel);
    return app.exec();
}
