// moodsteer-cli steer: make steering vectors from activation files (probe row, class-mean
// difference, valence/arousal regression), show a vector's context, and run the steering
// benchmark (genre score and tempo preservation of steered vs unsteered clips, same seeds).
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"
#include "SteerSupport.h"

#include "core/engine/ValueLimits.h"

#include "core/alignment/AlignmentModel.h"
#include "core/emotion/GenreClassifier.h"
#include "core/steering/SteeringBenchmark.h"
#include "core/steering/SteeringMaker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>

namespace moodsteer::cli {
namespace {

const char* kHelp = R"(usage: moodsteer-cli steer make|show|bench [options]

steer make --activations acts.safetensors --label jazz --layer L --out jazz.safetensors
           [--method probe|probe-mse|means] [--l2 X] [--flip] [--json]
    A unit steering vector for a class (softmax-probe row mapped to the raw activation space,
    the paper's MSE-on-one-hot probe, or the difference of class means), or with --label
    valence|arousal a regression-probe direction (use a negative alpha to lower it). The sign
    is checked on the activations (fails unless --flip).
steer show VEC.safetensors [--json]
steer bench --model DIR|embedded --pairs jazz:rock,rock:jazz --vector rock=rock.st --vector jazz=jazz.st
           [--alphas 0,0.25,0.5,0.75] [--seeds 1,2,3] [--layer L] [--seconds S | --steps N]
           [--prompt-template "{label} music"] [--label-prompt-ids "jazz=3,1;rock=4,1"]
           [--guidance G (the model's)] [--scorer-pieces N (24)] [--out report.json] [--csv summary.csv] [--json]
           [--alignment-model FILE | --no-alignment]
    Generates from the source's prompt with the same seeds unsteered and steered towards the
    target, and reports the target genre score (a softmax probe on mean DSP features trained on
    SynthCodec-rendered corpus pieces), its gain over the unsteered clip, the tempo ratio and
    the share of seeds whose tempo stays within 8 %. Beside the DSP classifier: the text-audio
    alignment score of each clip to "{target} music" before (alpha 0) and after steering and its
    gain (align_target, align_target_gain; the shipped resources/alignment model by default,
    docs/alignment.md).)";

std::vector<double> parseDoubles(const std::string& text, const std::string& what) {
    std::vector<double> out;
    for (const auto& s : splitList(text, ',', what)) {
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != s.size() || !std::isfinite(v) || std::fabs(v) > limits::kMaxAlpha)
            throw UsageError(what + ": '" + s + "' is not a number in [-100, 100]");
        out.push_back(v);
    }
    return out;
}

/// "1,2,3" -> unsigned 64-bit seeds (full width; negative or fractional refused).
std::vector<std::uint64_t> parseSeeds(const std::string& text, const std::string& what) {
    std::vector<std::uint64_t> out;
    for (const auto& s : splitList(text, ',', what)) {
        if (s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
            throw UsageError(what + ": '" + s + "' is not an unsigned 64-bit integer");
        try {
            out.push_back(std::stoull(s));
        } catch (const std::exception&) {
            throw UsageError(what + ": '" + s + "' is not an unsigned 64-bit integer");
        }
    }
    return out;
}

void printVector(const SteeringVector& v, bool json) {
    if (json) {
        const nlohmann::json j{{"label", v.label},
                               {"layer", v.layer},
                               {"model_id", v.modelId},
                               {"method", v.method},
                               {"pooling", v.pooling},
                               {"hidden_size", v.hiddenSize()},
                               {"sign_projection", v.signProjection},
                               {"flipped", v.flipped}};
        std::cout << jsonText(j) << "\n";
        return;
    }
    std::cout << "label " << v.label << ", layer " << v.layer << ", model " << v.modelId
              << ", method " << v.method << ", pooling " << v.pooling << ", " << v.hiddenSize()
              << " dims, sign projection " << v.signProjection << (v.flipped ? " (flipped)" : "")
              << "\n";
}

int runMake(const Args& args) {
    args.allowOnly({"activations", "label", "layer", "out", "method", "l2", "flip", "json", "help"},
                   1);
    SteeringMakeOptions o;
    o.label = args.require("label");
    o.layer = static_cast<int>(args.getInt("layer", -1));
    if (!args.has("layer"))
        throw UsageError("--layer is required (see `probe` for the best layer)");
    o.method = args.get("method", o.method);
    o.l2 = args.getDouble("l2", -1);
    o.sign = args.has("flip") ? SignPolicy::Flip : SignPolicy::Fail;
    const std::string out = args.require("out");
    checkWritableTarget(out);
    const auto v = makeSteeringVector(args.require("activations"), o);
    v.save(out);
    printVector(v, args.has("json"));
    return 0;
}

int runBenchSteer(const Args& args) {
    args.allowOnly({"model",
                    "pairs",
                    "vector",
                    "alphas",
                    "seeds",
                    "layer",
                    "seconds",
                    "steps",
                    "prompt-template",
                    "label-prompt-ids",
                    "guidance",
                    "scorer-pieces",
                    "out",
                    "csv",
                    "json",
                    "threads",
                    "quiet",
                    "help",
                    "alignment-model",
                    "no-alignment"},
                   1);
    const bool quiet = args.has("quiet");
    SteeringBenchmarkOptions o;
    for (const auto& p : splitList(args.require("pairs"), ',', "--pairs")) {
        const auto st = splitList(p, ':', "--pairs");
        if (st.size() != 2)
            throw UsageError("--pairs expects source:target items, got '" + p + "'");
        o.pairs.emplace_back(st[0], st[1]);
    }
    for (const auto& v : args.all("vector")) {
        const auto eq = v.find('=');
        if (eq == std::string::npos)
            throw UsageError("--vector expects label=file.safetensors, got '" + v + "'");
        o.vectors[v.substr(0, eq)] = v.substr(eq + 1);
    }
    if (args.has("alphas")) o.alphas = parseDoubles(args.get("alphas"), "--alphas");
    if (args.has("seeds")) {
        o.seeds.clear();
        o.seeds = parseSeeds(args.get("seeds"), "--seeds");
    }
    o.layer = static_cast<int>(args.getInt("layer", -1));
    o.seconds = args.getDouble("seconds", o.seconds);
    o.steps = static_cast<int>(args.getInt("steps", 0));
    o.promptTemplate = args.get("prompt-template", o.promptTemplate);
    if (args.has("label-prompt-ids")) {
        std::vector<std::string> sources;
        for (const auto& [s, t] : o.pairs)
            if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
        const auto ids = parseLabelIds(args.get("label-prompt-ids"), sources);
        for (std::size_t i = 0; i < sources.size(); ++i)
            o.promptIds[sources[i]] = ids[i];
    }
    const std::string out = args.get("out"), csv = args.get("csv");
    if (!out.empty()) checkWritableTarget(out);
    if (!csv.empty()) checkWritableTarget(csv);
    std::optional<AlignmentModel> alignment;
    if (args.has("alignment-model") && args.has("no-alignment"))
        throw UsageError("--alignment-model and --no-alignment exclude each other");
    if (args.has("alignment-model"))
        alignment.emplace(AlignmentModel::load(args.get("alignment-model")));
    else if (!args.has("no-alignment") &&
             std::filesystem::is_regular_file(AlignmentModel::defaultPath()))
        alignment.emplace(AlignmentModel::load(AlignmentModel::defaultPath()));
    else if (!args.has("no-alignment") && !quiet)
        std::fprintf(stderr, "steer bench: no alignment score (%s is missing)\n",
                     AlignmentModel::defaultPath().c_str());
    if (alignment) o.alignment = &*alignment;
    auto engine = loadEngineArg(args.get("model"), static_cast<int>(args.getInt("threads", 0)));
    o.guidance = args.getDouble("guidance", engine->info().defaultGuidance);
    // The genre score says nothing about tempo: the benchmark measures tempo on its own.
    GenreTrainingOptions so;
    so.piecesPerGenre = static_cast<int>(args.getInt("scorer-pieces", so.piecesPerGenre));
    so.seconds = 6.0;
    so.seed = 1;
    so.excludeTempo = true;
    so.testFraction = 0.25;
    const auto scorer = GenreClassifier::trainOnComposer(so, [quiet](int done, int total) {
        if (!quiet)
            std::fprintf(stderr, "\rtraining the genre scorer: piece %d/%d   %s", done, total,
                         done == total ? "\n" : "");
    });
    if (!quiet)
        std::fprintf(stderr, "genre scorer held-out accuracy %.3f\n", scorer.heldOutAccuracy());
    const auto rep = runSteeringBenchmark(*engine, scorer, o, [quiet](int done, int total) {
        throwIfInterrupted("stopped after " + std::to_string(done) + " of " +
                           std::to_string(total) + " generations; nothing was written");
        if (!quiet)
            std::fprintf(stderr, "\rbenchmark: generation %d/%d   %s", done, total,
                         done == total ? "\n" : "");
    });
    OutputSet outputs;
    if (!out.empty())
        outputs.add(out,
                    [&](const std::string& p) { writeTextFileAtomically(p, rep.toJson() + "\n"); });
    if (!csv.empty())
        outputs.add(csv, [&](const std::string& p) { writeTextFileAtomically(p, rep.toCsv()); });
    outputs.commit();
    if (args.has("json"))
        std::cout << rep.toJson() << "\n";
    else
        std::cout << rep.toCsv();
    return 0;
}

} // namespace

static int runSteer(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "quiet", "help", "flip", "no-alignment"});
    const auto& pos = args.positional();
    if (args.has("help") || pos.empty()) {
        std::cout << kHelp << "\n" << optionRangesHelp(kHelp);
        if (pos.empty() && !args.has("help"))
            throw UsageError("steer needs a sub-command: make, show or bench");
        return 0;
    }
    if (pos[0] == "make") return runMake(args);
    if (pos[0] == "bench") return runBenchSteer(args);
    if (pos[0] == "show") {
        args.allowOnly({"json", "help"}, 2);
        if (pos.size() != 2) throw UsageError("steer show needs one vector file");
        printVector(SteeringVector::load(pos[1]), args.has("json"));
        return 0;
    }
    throw UsageError("unknown steer sub-command '" + pos[0] + "' (make, show, bench)");
}

static CliCommand steerCommand("steer", "make, inspect and benchmark steering vectors", runSteer);

} // namespace moodsteer::cli
