// Imports a Standard MIDI File as a SynthCodec clip (core/synth/MidiReader.h): the codes, the
// audio SynthCodec renders from them and a recipe naming the file (Recipe::importedFrom).
// Result: GenerationResult (cancelled never set); a bad file fails with MidiReader's one line.
// Runs on the engine thread because rendering minutes of music takes a while.
#pragma once

#include "core/synth/MidiReader.h"
#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class ImportMidiJob : public EngineJob {
  public:
    using Result = GenerationResult;
    static constexpr const char* kKind = "import-midi";

    explicit ImportMidiJob(QString path, MidiImportOptions options = {})
        : path_(std::move(path)), options_(options) {}

    const QString& path() const { return path_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

    /// The work itself (no engine state needed): also what the fake engine runs in tests.
    static GenerationResult import(const QString& path, const MidiImportOptions& options);

  private:
    QString path_;
    MidiImportOptions options_;
};

} // namespace moodsteer::widgets
