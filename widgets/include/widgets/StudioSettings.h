// The studio's persistent settings (QSettings): model folder, threads, audio device, output
// folder. An empty model folder means the embedded model.
#pragma once

#include <QString>

class QSettings;

namespace moodsteer::widgets {

struct StudioSettings {
    QString modelFolder;       ///< "" = the embedded model
    int threads = 2;           ///< LibTorch intra-op threads (2 on these machines)
    QString precision = "f32"; ///< weights of the LM: one of weightPrecisions()
    QString audioDevice;       ///< device name as listed; "" = the default output
    QString outputFolder;      ///< where exports go by default

    static StudioSettings load(QSettings& settings);
    void save(QSettings& settings) const;
    /// Music folder of the user, for a first start.
    static QString defaultOutputFolder();
    bool operator==(const StudioSettings&) const = default;
};

} // namespace moodsteer::widgets
