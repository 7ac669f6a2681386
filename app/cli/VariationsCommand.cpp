// moodsteer-cli variations: new pieces like a given one (or a restored range of it) from the
// variation generator (docs/variations.md), each written as audio + codes + recipe.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/audio/AudioFile.h"
#include "core/io/CodesFile.h"
#include "core/io/Version.h"
#include "core/synth/SynthCodec.h"
#include "core/variations/VariationGenerator.h"
#include "core/variations/VariationSource.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli variations IN --out DIR [--count 4] [--similarity 0.5]
                                 [--shift-arousal A] [--shift-valence V] [--restore B:E]
                                 [--seed N] [--json]

Makes variations of a piece with the variation generator (a VAE + conditional latent
diffusion model; docs/variations.md): the same genre, instruments and tempo, conditioned on the
piece's latent summary and its attention curve (arousal, onset density, loudness and, for
models trained since it was added, valence over time).

  IN                  a clip's codes (.safetensors), the recipe (.json) of an embedded-model
                      clip (regenerated exactly) or a MIDI file (.mid, type 0/1); 2 to 60 s
  --out DIR           writes DIR/variation-N.wav, .safetensors (codes) and .json (recipe)
                      for N = 1..count, all or nothing
  --count N           variations (1..16, default 4); variation N uses seed + N - 1
  --similarity S      in (0, 1] (default 0.5): start from the piece's latent noised to
                      t = S * T; small = close to the piece, 1 = free
  --shift-arousal A   move the conditioning arousal curve by A rating units (-8..8; e.g. -2
                      for the same piece, calmer)
  --shift-valence V   move the conditioning valence curve by V rating units (-8..8; e.g. +2
                      for the same piece, brighter); needs a model with a valence channel
  --restore B:E       regenerate only seconds [B, E) consistent with the rest; every other
                      frame keeps the piece's codes (use --similarity 1 for a fresh fill)
  --ddim-steps N      denoising steps (default 20)
  --guidance G        classifier-free guidance scale (default 2; 1 disables)
  --seed N            (default 1)
  --model DIR         variation weights folder (default: resources/variations)
  --threads N         compute threads (default: cores - 1)
  --force             replace existing files in DIR
  --json              print the result on stdout
)";

std::pair<double, double> parseRange(const std::string& text) {
    const auto colon = text.find(':');
    auto number = [&](const std::string& part) {
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(part, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (part.empty() || used != part.size() || !std::isfinite(v))
            throw UsageError("--restore must be START:END in seconds (e.g. 2.0:4.0), got '" + text +
                             "'");
        return v;
    };
    if (colon == std::string::npos)
        throw UsageError("--restore must be START:END in seconds (e.g. 2.0:4.0), got '" + text +
                         "'");
    const double b = number(text.substr(0, colon)), e = number(text.substr(colon + 1));
    if (!(b >= 0 && e > b))
        throw UsageError("--restore needs 0 <= START < END, got '" + text + "'");
    return {b, e};
}

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help", "force"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"out", "count", "similarity", "shift-arousal", "shift-valence", "restore",
                    "ddim-steps", "guidance", "seed", "model", "threads", "force", "json", "help"},
                   1);
    if (args.positional().size() != 1) throw UsageError("missing the input piece IN");
    const auto in = args.positional()[0];
    const auto outDir = args.require("out");
    VariationRequest request;
    request.count = static_cast<int>(args.getInt("count", 4));
    if (request.count > VariationRequest::kMaxCount)
        throw UsageError("--count must be 1 to 16, got " + std::to_string(request.count));
    request.similarity = args.getDouble("similarity", 0.5);
    request.shiftArousal = args.getDouble("shift-arousal", 0);
    request.shiftValence = args.getDouble("shift-valence", 0);
    request.steps = static_cast<int>(args.getInt("ddim-steps", 20));
    request.guidance = args.getDouble("guidance", 2.0);
    request.seed = args.getU64("seed", 1);
    if (args.has("restore")) {
        const auto [b, e] = parseRange(args.get("restore"));
        request.restoreBeginSeconds = b;
        request.restoreEndSeconds = e;
    }
    const bool force = args.has("force");
    if (!std::filesystem::is_directory(outDir))
        throw UsageError("--out '" + outDir + "' is not an existing folder");
    std::vector<std::string> stems;
    for (int i = 1; i <= request.count; ++i) {
        const auto stem =
            (std::filesystem::path(outDir) / ("variation-" + std::to_string(i))).string();
        for (const char* ext : {".wav", ".safetensors", ".json"}) {
            checkWritableTarget(stem + ext);
            checkNotExisting(stem + ext, force);
        }
        stems.push_back(stem);
    }
    auto folder = args.get("model", VariationGenerator::shippedFolder());
    if (folder.empty())
        throw UsageError("no variation model: resources/variations is missing (pass --model DIR)");
    const int threads = static_cast<int>(args.getInt("threads", 0));

    std::unique_ptr<VariationGenerator> generator;
    CodeGrid source;
    try {
        source = loadVariationSource(in);
        generator = VariationGenerator::load(folder, threads);
        request.source = source;
        generator->validate(request);
    } catch (const VariationError& e) {
        throw UsageError(e.what());
    }
    const auto result = generator->generate(
        request,
        [](const VariationProgress& p) {
            if (p.step % 10 == 0 || p.step == p.totalSteps)
                std::fprintf(stderr, "variations: %s, step %d/%d, %.1f s, ~%.1f s left\n",
                             p.message.c_str(), p.step, p.totalSteps, p.elapsedSeconds,
                             p.etaSeconds);
        },
        interruptFlag());
    if (result.cancelled || interrupted())
        throw Interrupted("stopped after " + std::to_string(result.variations.size()) + " of " +
                          std::to_string(request.count) + " variations; nothing was written");

    const SynthCodec codec;
    OutputSet outputs;
    nlohmann::json summary{{"input", in},
                           {"model", folder},
                           {"seconds", result.seconds},
                           {"variations", nlohmann::json::array()}};
    for (std::size_t i = 0; i < result.variations.size(); ++i) {
        const auto& v = result.variations[i];
        nlohmann::json recipe{{"kind", "variation"},
                              {"source", std::filesystem::absolute(in).string()},
                              {"source_frames", source.frames},
                              {"index", i + 1},
                              {"seed", v.seed},
                              {"similarity", request.similarity},
                              {"shift_arousal", request.shiftArousal},
                              {"shift_valence", request.shiftValence},
                              {"ddim_steps", request.steps},
                              {"guidance", request.guidance},
                              {"variation_model", std::filesystem::absolute(folder).string()},
                              {"engine_version", engineVersion()}};
        if (request.restoreBeginSeconds)
            recipe["restore"] = {*request.restoreBeginSeconds, *request.restoreEndSeconds};
        const auto text = recipe.dump(2) + "\n";
        auto audio = std::make_shared<AudioBuffer>(codec.decode(v.codes));
        const auto& stem = stems[i];
        AudioTags tags;
        tags.title = "variation " + std::to_string(i + 1);
        tags.comment = recipe.dump();
        tags.software = "moodsteer " + engineVersion();
        outputs.add(stem + ".wav",
                    [audio, tags](const std::string& p) { writeAudioFile(p, *audio, tags); });
        const auto codes = v.codes;
        outputs.add(stem + ".safetensors", [codes, text](const std::string& p) {
            writeCodesFile(p, codes, {{"recipe", text}});
        });
        outputs.add(stem + ".json", [text](const std::string& p) {
            std::FILE* f = std::fopen(p.c_str(), "wb");
            if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
                if (f) std::fclose(f);
                throw std::runtime_error("cannot write '" + p + "'");
            }
            if (std::fclose(f) != 0) throw std::runtime_error("cannot write '" + p + "'");
        });
        summary["variations"].push_back({{"audio", stem + ".wav"},
                                         {"codes", stem + ".safetensors"},
                                         {"recipe", stem + ".json"},
                                         {"seed", v.seed}});
    }
    outputs.commit(force);
    if (args.has("json"))
        std::cout << jsonText(summary) << "\n";
    else
        std::cerr << "variations: wrote " << result.variations.size() << " variations to " << outDir
                  << " in " << result.seconds << " s\n";
    return 0;
}

const CliCommand registration("variations",
                              "variations of a piece, or a restored range (VAE + latent diffusion)",
                              run);

} // namespace
} // namespace moodsteer::cli
