// Export a clip as WAV, FLAC or OGG/Vorbis (libsndfile) with the recipe in the file's tags and
// a JSON sidecar. Suggests a name that does not exist yet and never overwrites silently.
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/audio/AudioCodec.h"
#include "core/engine/Recipe.h"

#include <QDialog>

#include <functional>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;

namespace moodsteer::widgets {

class ExportDialog : public QDialog {
    Q_OBJECT
  public:
    /// `midiCodes`: the clip's SynthCodec codes; when given, MIDI is offered as a format.
    ExportDialog(const QString& folder, const QString& clipName, AudioBuffer audio, Recipe recipe,
                 QWidget* parent = nullptr, std::optional<CodeGrid> midiCodes = std::nullopt);

    /// "wav" | "flac" | "ogg" | "mid" (MIDI only for symbolic-codec clips).
    static QStringList formats() { return {"wav", "flac", "ogg", "mid"}; }
    /// `path` with its extension replaced by `format`'s.
    static QString withFormat(const QString& path, const QString& format);
    /// A file name from the clip's name (unsafe characters replaced).
    static QString safeFileName(const QString& name);
    /// folder/name.ext, or folder/name (2).ext, ... so that neither the file nor its sidecar
    /// exists yet.
    static QString uniquePath(const QString& folder, const QString& name, const QString& format);

    QString path() const;
    void setPath(const QString& path);
    QString format() const;
    void setFormat(const QString& format);
    QString errorText() const;
    /// Asks before overwriting (a QMessageBox by default; tests replace it).
    void setConfirmer(std::function<bool(const QString& question)> confirmer);

    /// Writes the file; false (with errorText) on failure or a declined overwrite.
    bool exportNow();

  public slots:
    void accept() override;

  private:
    void browse();

    AudioBuffer audio_;
    Recipe recipe_;
    std::optional<CodeGrid> midiCodes_;
    QString title_;
    QLineEdit* path_;
    QComboBox* format_;
    QLabel* error_;
    std::function<bool(const QString&)> confirm_;
};

} // namespace moodsteer::widgets
