// moodsteer-cli import-midi: a Standard MIDI File becomes a SynthCodec clip (codes, the WAV
// SynthCodec renders, the recipe), so it can be played, exported and varied like a generated
// one (docs/midi-import.md).
#include "CliCommand.h"
#include "CliSupport.h"
#include "OptionTable.h"

#include "core/audio/AudioFile.h"
#include "core/corpus/Composer.h"
#include "core/engine/Recipe.h"
#include "core/io/CodesFile.h"
#include "core/io/Version.h"
#include "core/library/ClipLibrary.h"
#include "core/synth/MidiReader.h"
#include "core/synth/SynthCodec.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

namespace fs = std::filesystem;

const char* kHelp =
    R"(usage: moodsteer-cli import-midi IN.mid --out DIR [--genre G] [--variant 0|1]
                                [--brightness 0|1|2] [--quantize frame|16th] [--force] [--json]

Reads a Standard MIDI File (type 0 or 1) into the embedded model's SynthCodec tokens and
writes DIR/STEM.wav (rendered by SynthCodec, the recipe in its tags), DIR/STEM.recipe.json and
DIR/STEM.codes.safetensors (the tokens: `variations`, MIDI export and the studio take them).
Drums come from GM channel 10, the melody is the highest voice, the bass the lowest, the rest
are chords; each tempo goes to the nearest SynthCodec tempo (187.5, 125, 93.75, 75, 62.5 BPM),
the pitches (and so the key) are kept. --genre (classical, electronic, jazz, rock) and
--variant choose the instrument set instead of the file's GM programs; --brightness is not in
MIDI (default 1); --quantize 16th snaps onsets to sixteenth notes first (default: the frame
grid, 40 ms). Existing files are kept unless --force.)";

} // namespace

static int runImportMidi(const std::vector<std::string>& argv) {
    Args args(argv, {"force", "json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n" << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"out", "genre", "variant", "brightness", "quantize", "force", "json", "help"},
                   1);
    if (args.positional().empty()) throw UsageError("give the MIDI file to import");
    const std::string in = args.positional().front();
    const std::string outDir = args.require("out");
    MidiImportOptions o;
    if (args.has("genre")) {
        try {
            o.genre = Composer::genreIndex(args.get("genre"));
        } catch (const std::invalid_argument& e) {
            throw UsageError(std::string("--genre: ") + e.what());
        }
    }
    if (args.has("variant")) o.variant = static_cast<int>(args.getInt("variant", 0));
    if (o.variant && !o.genre) throw UsageError("--variant needs --genre");
    o.brightness = static_cast<int>(args.getInt("brightness", 1));
    const std::string quantize = args.get("quantize", "frame");
    if (quantize != "frame" && quantize != "16th")
        throw UsageError("--quantize must be frame or 16th, not '" + quantize + "'");
    o.quantizeSixteenths = quantize == "16th";
    if (!fs::is_directory(outDir)) throw UsageError("--out: no such folder '" + outDir + "'");

    const std::string stem = fs::path(in).stem().string();
    const std::string wav = (fs::path(outDir) / (stem + ".wav")).string();
    const std::string codesPath = (fs::path(outDir) / (stem + ".codes.safetensors")).string();
    checkClipTargets(wav, codesPath, args.has("force"));
    const MidiImport m = MidiReader::read(in, o);

    Recipe recipe;
    recipe.model = "embedded";
    recipe.importedFrom = fs::absolute(in).lexically_normal().string();
    recipe.seconds = m.seconds();
    recipe.engineVersion = engineVersion();
    const AudioBuffer audio = SynthCodec().decode(m.codes);
    const std::string recipeJson = recipe.toJson(-1);
    OutputSet outputs;
    outputs.add(wav, [&](const std::string& path) {
        writeAudioFile(path, audio, {stem, recipeJson, ""}, true);
    });
    outputs.add(ClipLibrary::sidecarPath(wav), [&](const std::string& path) {
        writeTextFileAtomically(path, recipe.toJson() + "\n");
    });
    outputs.add(codesPath, [&](const std::string& path) {
        writeCodesFile(path, m.codes, {{"recipe", recipeJson}});
    });
    outputs.commit(args.has("force"));

    const std::string genre = Composer::genres()[static_cast<std::size_t>(m.genre)];
    if (args.has("json")) {
        nlohmann::ordered_json j{{"wav", wav},
                                 {"recipe", ClipLibrary::sidecarPath(wav)},
                                 {"codes", codesPath},
                                 {"seconds", m.seconds()},
                                 {"file_bpm", m.fileBpm},
                                 {"bpm", m.bpm},
                                 {"genre", genre},
                                 {"variant", m.variant},
                                 {"band_from_programs", m.bandFromPrograms},
                                 {"key", m.key},
                                 {"melody_notes", m.melodyNotes},
                                 {"bass_notes", m.bassNotes},
                                 {"chord_notes", m.chordNotes},
                                 {"drum_hits", m.drumHits},
                                 {"approximations", m.approximations}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "imported " << in << ": " << m.seconds() << " s at " << m.bpm << " BPM (file "
              << m.fileBpm << " BPM), " << genre << " variant " << m.variant
              << (m.bandFromPrograms ? " (from the GM programs)" : "")
              << (m.key.empty() ? "" : ", key " + m.key) << "; " << m.melodyNotes << " melody, "
              << m.bassNotes << " bass, " << m.chordNotes << " chord notes, " << m.drumHits
              << " drum hits\n";
    for (const auto& a : m.approximations)
        std::cout << "  approximated: " << a << "\n";
    std::cout << "wrote " << wav << ", " << ClipLibrary::sidecarPath(wav) << ", " << codesPath
              << "\n";
    return 0;
}

static CliCommand importMidiCommand("import-midi",
                                    "a MIDI file (type 0/1) -> SynthCodec codes, WAV and recipe",
                                    runImportMidi);

} // namespace moodsteer::cli
