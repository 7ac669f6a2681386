#include "widgets/ImportMidiJob.h"

#include "core/io/Version.h"
#include "core/synth/SynthCodec.h"

#include <QDir>
#include <QFileInfo>
#include <QObject>

namespace moodsteer::widgets {

QString ImportMidiJob::title() const {
    return QObject::tr("Import MIDI %1").arg(QFileInfo(path_).fileName());
}

GenerationResult ImportMidiJob::import(const QString& path, const MidiImportOptions& options) {
    const MidiImport m = MidiReader::read(path.toStdString(), options);
    GenerationResult r;
    r.audio = SynthCodec().decode(m.codes);
    r.numCodebooks = m.codes.numCodebooks;
    r.frames = m.codes.frames;
    r.codes = m.codes.data;
    r.recipe.model = "embedded";
    r.recipe.importedFrom = QDir::cleanPath(QFileInfo(path).absoluteFilePath()).toStdString();
    r.recipe.seconds = m.seconds();
    r.recipe.engineVersion = engineVersion();
    return r;
}

QVariant ImportMidiJob::run(EngineContext&, JobSink& sink) {
    sink.progress({0, 0, -1, QObject::tr("Reading %1").arg(QFileInfo(path_).fileName())});
    return QVariant::fromValue(import(path_, options_));
}

} // namespace moodsteer::widgets
