#include "widgets/StudioSettings.h"

#include "core/engine/WeightPrecisions.h"

#include <QSettings>
#include <QStandardPaths>
#include <QThread>

#include <algorithm>

namespace moodsteer::widgets {

StudioSettings StudioSettings::load(QSettings& s) {
    StudioSettings out;
    out.modelFolder = s.value("model/folder").toString();
    out.threads = std::clamp(s.value("model/threads", out.threads).toInt(), 1,
                             std::max(1, QThread::idealThreadCount()) * 2);
    const QString precision = s.value("model/precision", out.precision).toString();
    if (isWeightPrecision(precision.toStdString())) out.precision = precision;
    out.audioDevice = s.value("audio/device").toString();
    out.outputFolder = s.value("export/folder", defaultOutputFolder()).toString();
    return out;
}

void StudioSettings::save(QSettings& s) const {
    s.setValue("model/folder", modelFolder);
    s.setValue("model/threads", threads);
    s.setValue("model/precision", precision);
    s.setValue("audio/device", audioDevice);
    s.setValue("export/folder", outputFolder);
    s.sync();
}

QString StudioSettings::defaultOutputFolder() {
    const QString music = QStandardPaths::writableLocation(QStandardPaths::MusicLocation);
    return music.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::HomeLocation) : music;
}

} // namespace moodsteer::widgets
