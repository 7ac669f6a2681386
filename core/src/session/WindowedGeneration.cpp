#include "session/WindowedGeneration.h"
#include "audio/CodeGridJoin.h"

#include "core/engine/ValueLimits.h"
#include "core/io/Version.h"
#include "core/session/MoodWords.h"
#include "engine/PipelinedStreamDecoder.h"
#include "session/ContextReadAhead.h"
#include "session/EmotionCheck.h"
#include "session/SeamChoice.h"
#include "session/StreamProbe.h"
#include "session/WindowGuard.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

namespace moodsteer {
namespace {

constexpr int kMaxTries = 4; // a window and up to three reseeds

/// The window's audio as the stream will play it: decoded after its context, so that the codec
/// state carried into the window (held notes, EnCodec's history) is the stream's, then cut to
/// exactly the new frames, as the stream decoder returns them. Decoded alone with the codec's
/// release tail, a window silent in the stream measured -49 dBFS and passed the guard.
AudioBuffer windowAudio(const AudioCodec& codec, const CodeGrid& context, const CodeGrid& window) {
    CodeGrid both = context;
    both = joinFrames(both, window);
    AudioBuffer audio = codec.decode(both);
    const auto skip = std::min(audio.samples.size(),
                               static_cast<std::size_t>(context.frames) * codec.samplesPerFrame());
    audio.samples.erase(audio.samples.begin(),
                        audio.samples.begin() + static_cast<std::ptrdiff_t>(skip));
    audio.samples.resize(std::min(audio.samples.size(), static_cast<std::size_t>(window.frames) *
                                                            codec.samplesPerFrame()));
    return audio;
}

} // namespace

WindowPlan WindowPlan::of(const ModelFamily& family, const Recipe& r) {
    const ModelInfo& info = family.info();
    const double fr = info.frameRate;
    WindowPlan p;
    const int longest = family.windowFrames();
    p.window = r.windowSeconds > 0 ? static_cast<int>(std::lround(r.windowSeconds * fr)) : longest;
    if (p.window > longest)
        throw EngineError("window of " + std::to_string(r.windowSeconds) +
                          " s is longer than the " + std::to_string(longest / fr) +
                          " s this model's positions allow");
    if (p.window < 2) throw EngineError("the window must be at least two frames long");
    p.stride = r.strideSeconds > 0 ? static_cast<int>(std::lround(r.strideSeconds * fr))
                                   : (2 * p.window) / 3; // audiocraft: 30 s window, 18-20 s stride
    if (p.stride < 1 || p.stride >= p.window)
        throw EngineError("the stride must be > 0 and shorter than the window");
    if (r.steps > 0) {
        p.totalNewFrames = r.steps;
    } else {
        if (!(r.seconds > 0) || !std::isfinite(r.seconds))
            throw EngineError("duration must be > 0 seconds");
        p.totalNewFrames = static_cast<int>(std::lround(r.seconds * fr));
    }
    if (p.totalNewFrames < 1) throw EngineError("the clip must be at least one frame long");
    if (r.acceptSeconds > 0) {
        p.segment = static_cast<int>(std::lround(r.acceptSeconds * fr));
        if (p.segment < 1)
            throw EngineError("accept_seconds of " + std::to_string(r.acceptSeconds) +
                              " s is shorter than one frame of this model");
    }
    p.firstSegment = p.segment;
    if (r.firstAcceptSeconds > 0) {
        if (!(r.acceptSeconds > 0))
            throw EngineError("first_accept_seconds needs accept_seconds (early acceptance)");
        if (r.firstAcceptSeconds > r.acceptSeconds)
            throw EngineError("first_accept_seconds of " + std::to_string(r.firstAcceptSeconds) +
                              " s is longer than accept_seconds (" +
                              std::to_string(r.acceptSeconds) + " s)");
        p.firstSegment = static_cast<int>(std::lround(r.firstAcceptSeconds * fr));
        if (p.firstSegment < 1)
            throw EngineError("first_accept_seconds of " + std::to_string(r.firstAcceptSeconds) +
                              " s is shorter than one frame of this model");
    }
    p.lastStretch = p.segment;
    if (r.acceptPace > 0) {
        if (!(r.firstAcceptSeconds > 0))
            throw EngineError("accept_pace needs first_accept_seconds (a first stretch)");
        if (!(r.acceptPace <= Recipe::kMaxAcceptPace))
            throw EngineError("accept_pace of " + std::to_string(r.acceptPace) +
                              " is above its most, " + std::to_string(Recipe::kMaxAcceptPace));
        p.pace = r.acceptPace;
        p.lastStretch = SeamChoice::cutWindowFrames(family.codec().samplesPerFrame(), fr);
    }
    return p;
}

int WindowPlan::nextCheck(int w, int made, int check, int newFrames) const {
    if (!(pace > 0)) {
        if (check == 0) return w == 0 ? firstSegment : segment;
        return w == 0 ? std::min(check + segment, 2 * check) : check + segment;
    }
    const int last = newFrames - lastStretch;
    if (check >= last) return last + 1;
    const long gap = firstSegment + std::lround(pace * (double(made) + check));
    return static_cast<int>(std::min<long>(check + std::min<long>(gap, segment), last));
}

std::uint64_t windowSeed(std::uint64_t seed, int index) {
    if (index == 0) return seed;
    // splitmix64 of (seed, index): neighbouring windows get unrelated streams.
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(index);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

GenerationResult generateWindowed(ModelFamily& family, const Recipe& recipe, const CodeGrid& prompt,
                                  const GenerationCallbacks& cb, bool codecOnOwnThread) {
    const auto start = std::chrono::steady_clock::now();
    const ModelInfo& info = family.info();
    const AudioCodec& codec = family.codec();
    const WindowPlan plan = WindowPlan::of(family, recipe);
    const int K = info.numCodebooks;
    if (prompt.frames > 0 && prompt.numCodebooks != K)
        throw EngineError("the prompt has " + std::to_string(prompt.numCodebooks) +
                          " code streams; this model uses " + std::to_string(K));
    // The emotion check judges each try by the caller's head; every window's seed is then
    // recorded, so that regenerating never needs a head (nor one that would judge otherwise).
    const bool checking = recipe.emotionCheck > 0 && recipe.hasEmotion();
    if (checking && !cb.emotionJudge)
        throw EngineError("the emotion check needs an emotion head (none was loaded)");
    std::map<int, WindowReseed> recorded;
    for (const auto& r : recipe.reseeds)
        recorded[r.window] = r;

    CodeGrid stream = prompt.frames > 0 ? prompt : CodeGrid(K, 0);
    std::unique_ptr<StreamDecoder> decoder = codec.streamDecoder();
    const int candidates = std::max(1, recipe.seamCandidates);
    // Each try is heard through a copy of the stream decoder (StreamProbe), stretch by stretch
    // with early acceptance; a codec that cannot copy its stream has its windows judged whole,
    // decoded after their context, and decodes on this thread.
    const bool copies = decoder->clone() != nullptr;
    const bool progressive = plan.segment > 0 && copies;
    // The codec on its own thread: a try's frames are decoded there as the LM makes them.
    std::shared_ptr<std::atomic<double>> codecCpu;
    if (codecOnOwnThread && copies) {
        codecCpu = std::make_shared<std::atomic<double>>(0.0);
        decoder = std::make_unique<PipelinedStreamDecoder>(
            std::move(decoder), PipelinedStreamDecoder::kDefaultMinPushFrames, codecCpu);
    }
    const int maxCut = SeamChoice::maxCutFrames(codec.samplesPerFrame(), info.frameRate);
    GenerationResult result;
    result.promptFrames = prompt.frames;
    result.audio.sampleRate = codec.sampleRate();
    result.recipe = recipe;
    result.recipe.windowSeconds = plan.window / info.frameRate;
    result.recipe.strideSeconds = plan.stride / info.frameRate;
    result.recipe.reseeds.clear();
    double audioSeconds = 0;
    SeamChoice seams(codec.sampleRate());
    // Each accepted window's level, over exactly its samples of the stream (in whatever pieces
    // the decoder hands them out: a pipelined one returns them later).
    const std::size_t spf = static_cast<std::size_t>(codec.samplesPerFrame());
    std::size_t emitted = 0, levelWindow = 0;
    std::vector<std::size_t> windowEnds; // stream sample where each accepted window ends
    std::vector<double> windowSquares, windowCounts;
    const std::size_t promptSamples = static_cast<std::size_t>(prompt.frames) * spf;
    // The guard's verdict on a window's first codes.frames frames, heard as `samples`; the
    // emotion head is asked only when `emotion` (it may still reject only there).
    const auto judge = [&](const CodeGrid& codes, std::vector<float> samples, double startSeconds,
                           bool emotion) {
        AudioBuffer heard;
        heard.sampleRate = codec.sampleRate();
        heard.samples = std::move(samples);
        WindowVerdict verdict = WindowGuard::inspect(codes, heard, info.frameRate);
        if (checking) verdict.gap = verdict.longestQuietSeconds >= WindowGuard::kLongestGap;
        if (checking && emotion && !verdict.silent && !verdict.looped) {
            const EmotionFit fit = judgeWindow(*cb.emotionJudge, heard, recipe, startSeconds);
            if (fit.judged) {
                verdict.emotionError = fit.error();
                verdict.offPath = fit.error() > recipe.emotionCheck;
            }
        }
        return verdict;
    };
    const auto emit = [&](const std::vector<float>& chunk) {
        if (chunk.empty()) return;
        for (std::size_t i = 0; i < chunk.size(); ++i, ++emitted) {
            if (emitted < promptSamples || windowEnds.empty()) continue;
            while (levelWindow + 1 < windowEnds.size() && emitted >= windowEnds[levelWindow])
                ++levelWindow; // a codec's release tail counts to the last window
            windowSquares[levelWindow] += double(chunk[i]) * chunk[i];
            windowCounts[levelWindow] += 1;
        }
        audioSeconds += double(chunk.size()) / codec.sampleRate();
        if (candidates > 1) seams.heard(chunk.data(), chunk.size());
        if (cb.keepAudio)
            result.audio.samples.insert(result.audio.samples.end(), chunk.begin(), chunk.end());
        if (cb.onAudio) cb.onAudio(chunk.data(), chunk.size());
    };
    try {
        // The prompt is part of the returned clip (as transformers returns it): its audio first.
        if (prompt.frames > 0) emit(decoder->pushAndDrain(prompt));
        const int firstNew =
            std::min(plan.window - std::min(prompt.frames, plan.context()), plan.totalNewFrames);
        const int windows =
            1 + std::max(0, (plan.totalNewFrames - firstNew + plan.stride - 1) / plan.stride);
        int made = 0;
        bool cancelled = false;
        // Recipe::readAhead: the plan of the window about to start (when the window before it
        // ended where that plan holds) and its recipe when its prompt changes; the next
        // window's plan, recipe and reader (the reader's window reads its recipe).
        std::optional<AheadPlan> anchor;
        std::unique_ptr<Recipe> anchorRecipe;
        struct Next {
            std::optional<AheadPlan> plan;
            std::unique_ptr<Recipe> recipe;
            std::optional<WindowRequest> planned; ///< until it is begun
            std::unique_ptr<ContextReadAhead> reader;
        } next;
        double aheadCpu = -1;
        // The recipe of a window whose prompt (a change, a mood word) differs from the recipe's.
        const auto textRecipe = [&](double seconds, double moodSeconds) {
            std::unique_ptr<Recipe> r;
            const std::string text = promptWithMood(recipe, seconds, moodSeconds);
            if (text != recipe.prompt) {
                r = std::make_unique<Recipe>(recipe);
                r->prompt = text;
                r->promptIds.clear(); // the change is text
            }
            return r;
        };
        for (int w = 0; made < plan.totalNewFrames && !cancelled; ++w) {
            // The window read ahead for this one, if the window before ended where it planned.
            std::unique_ptr<WindowDecoder> ahead;
            if (next.reader) {
                ahead = next.reader->finish();
                aheadCpu = std::max(0.0, aheadCpu) + next.reader->cpuSeconds();
                next.reader.reset();
            }
            anchor.reset();
            if (next.plan && next.plan->holds(stream.frames)) {
                anchor = next.plan;
                anchorRecipe = std::move(next.recipe);
            } else {
                ahead.reset();
                anchorRecipe.reset();
            }
            next.recipe.reset();
            next.plan.reset();
            const int windowStart = stream.frames;
            const int ctx = anchor ? stream.frames - anchor->contextStart
                                   : std::min(stream.frames, plan.context());
            WindowRequest req;
            req.recipe = &recipe;
            req.context = stream.slice(stream.frames - ctx, stream.frames);
            req.newFrames = std::min(plan.window - ctx, plan.totalNewFrames - made);
            // A prompt change takes over at the first window starting at or after its time; a
            // "{word}" in the prompt becomes the mood word of the target at the window's middle
            // (a window read ahead: at its plan's start and middle).
            std::unique_ptr<Recipe> withPrompt;
            if (anchor) {
                req.conditionFrame = anchor->conditionFrame;
                req.aheadColumns = anchor->aheadColumns;
                if (anchorRecipe) req.recipe = anchorRecipe.get();
            } else {
                withPrompt = textRecipe(made / info.frameRate,
                                        (made + req.newFrames / 2.0) / info.frameRate);
                if (withPrompt) req.recipe = withPrompt.get();
            }
            req.startFrame = made;
            req.totalFrames = plan.totalNewFrames;
            // The next window's context is read while this one is made (Recipe::readAhead).
            if (recipe.readAhead)
                next.plan = AheadPlan::after(windowStart, req.newFrames, prompt.frames,
                                             plan.context(), plan.window, plan.totalNewFrames, made,
                                             maxCut, info.frameRate);
            next.planned.reset();
            if (next.plan) {
                next.recipe = textRecipe(next.plan->textSeconds, next.plan->moodSeconds);
                WindowRequest& planned = next.planned.emplace();
                planned.recipe = next.recipe ? next.recipe.get() : &recipe;
                planned.context = CodeGrid(K, next.plan->plannedContext);
                planned.newFrames = next.plan->plannedNew;
                planned.startFrame = next.plan->conditionFrame;
                planned.totalFrames = plan.totalNewFrames;
                planned.conditionFrame = next.plan->conditionFrame;
                planned.aheadColumns = next.plan->aheadColumns;
            }
            int offered = 0; // context frames the reader has (this try's)
            // Hands the reader the next context's frames made so far (`frames` of this try's).
            // The next window is begun (its conditioning) at the first offer, between this
            // window's steps rather than at the seam.
            const auto offerAhead = [&](const WindowDecoder* window, int frames) {
                if (!next.reader && !(window && next.planned)) return;
                const AheadPlan& p = *next.plan;
                const int before = std::max(0, windowStart - p.contextStart);
                const int skip = std::max(0, p.contextStart - windowStart);
                const int fixed = p.fixedEnd - p.contextStart;
                const int known = std::min(fixed, before + std::max(0, frames - skip));
                if (window && (known <= offered ||
                               (known < offered + ContextReadAhead::kOfferFrames && known < fixed)))
                    return;
                if (!next.reader) {
                    const WindowRequest planned = std::move(*next.planned);
                    next.planned.reset();
                    try {
                        next.reader = std::make_unique<ContextReadAhead>(family.begin(planned));
                    } catch (const EngineError&) {
                        return; // met again when the window begins, and reported there
                    }
                }
                CodeGrid grid = stream.slice(p.contextStart, p.contextStart + before);
                if (window && known > before)
                    grid = joinFrames(grid, window->newCodes().slice(skip, skip + known - before));
                offered = known;
                next.reader->offer(std::move(grid));
            };
            const bool replay = recorded.count(w) > 0;
            std::uint64_t first = replay ? recorded[w].seed : windowSeed(recipe.seed, w);
            // A remade window guides the AV token harder (Recipe::kEmotionCheckGuidanceStep).
            const Recipe* const plain = req.recipe;
            Recipe guided;
            const auto guideWith = [&](std::optional<double> e) {
                req.recipe = plain;
                if (!e) return;
                guided = *plain;
                guided.emotionGuidance = e;
                req.recipe = &guided;
            };
            const bool escalate = checking && info.hasAvEncoder && !replay;
            const double baseGuidance = recipe.emotionGuidance.value_or(recipe.guidance);
            if (replay) guideWith(recorded[w].emotionGuidance);
            std::optional<double> guidance; // the emotion guidance of the try kept, if raised
            // Seam-aware opening: among a few seeds, one that does not jolt at the seam. A
            // replayed window's seed was chosen when it was made.
            const bool seamAware =
                !replay && candidates > 1 && ctx > 0 && seams.streamSamples() > 0;
            const std::uint64_t base = first;
            // The seam choice's window, prefilled and at the seed it kept (null: begin anew).
            std::unique_ptr<WindowDecoder> chosen;
            // Seconds before decode steps (prefills, seam choices) and candidates tried.
            double prepareSeconds = 0, prefillSeconds = 0;
            int seamTried = 0;
            const auto timed = [&](const auto& work) {
                const auto t0 = std::chrono::steady_clock::now();
                work();
                return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            };
            int aheadColumns = 0; // the context's columns read ahead and kept
            if (seamAware) {
                SeamChoice::Result c;
                prepareSeconds += timed([&] {
                    c = seams.choose(family, req, *decoder, base, candidates, cb.cancel,
                                     std::move(ahead));
                });
                aheadColumns = c.aheadColumns;
                prefillSeconds += c.prefillSeconds;
                first = c.seed;
                seamTried += c.tried;
                chosen = std::move(c.window);
            }
            std::uint64_t seed = first;
            CodeGrid accepted; // the window's frames after those accepted early (committed)
            // The try kept, as heard through its copy of the stream (codecs that copy).
            std::unique_ptr<StreamProbe> tried;
            // The best rejected try, kept when no try passes (rather than the last one).
            struct Rejected {
                CodeGrid codes;
                std::uint64_t seed = 0;
                std::unique_ptr<StreamProbe> probe;
                WindowVerdict verdict;
                std::optional<double> guidance;
            };
            std::optional<Rejected> best;
            int tries = 0;
            double emotionError = -1;
            // Early acceptance (Recipe::acceptSeconds): the frames of this window already
            // accepted, joined to the stream and played; and whether the window ends short
            // of its plan (the guard rejected what followed them, or a replay says so).
            int committed = 0;
            const int replayFrames = replay ? recorded[w].frames : 0;
            if (replayFrames > req.newFrames)
                throw EngineError("the recipe keeps " + std::to_string(replayFrames) +
                                  " frames of window " + std::to_string(w) + ", which makes only " +
                                  std::to_string(req.newFrames));
            bool cut = replayFrames > 0;
            const double startSeconds = made / info.frameRate;
            windowEnds.push_back(std::numeric_limits<std::size_t>::max()); // ends when accepted
            windowSquares.push_back(0);
            windowCounts.push_back(0);
            // Every try was off the emotion path at its first stretch (early acceptance): the
            // closest is made again and goes on to the window's end, judged from then on only
            // for silence, loops and gaps (as a whole window's closest try was kept whole).
            bool resume = false;
            for (int attempt = 0; attempt < kMaxTries || resume; ++attempt) {
                tries = std::min(attempt + 1, kMaxTries);
                if (resume) {
                    guidance = best->guidance;
                    guideWith(guidance);
                } else if (escalate && attempt > 0) {
                    guidance = std::min(limits::kMaxGuidance,
                                        baseGuidance + attempt * Recipe::kEmotionCheckGuidanceStep);
                    guideWith(guidance);
                }
                // "The next seed": a seam-aware window chooses its next opening among the next
                // `candidates` seeds, so that a window remade by the guard or the emotion check
                // does not jolt at the seam either.
                seed = resume ? best->seed : first + static_cast<std::uint64_t>(attempt);
                if (seamAware && attempt > 0 && !resume) {
                    SeamChoice::Result c;
                    prepareSeconds += timed([&] {
                        c = seams.choose(family, req, *decoder,
                                         base + static_cast<std::uint64_t>(attempt) * candidates,
                                         candidates, cb.cancel);
                    });
                    prefillSeconds += c.prefillSeconds;
                    seed = c.seed;
                    seamTried += c.tried;
                    chosen = std::move(c.window);
                }
                req.seed = seed;
                // The seam choice's window was begun with this request and seed, prefilled.
                std::unique_ptr<WindowDecoder> window = std::move(chosen);
                if (!window) {
                    const double t = timed([&] {
                        window = settleOrBegin(family, req, std::move(ahead));
                        aheadColumns = std::max(aheadColumns, window->contextColumnsRead());
                        window->prefill();
                    });
                    prepareSeconds += t;
                    prefillSeconds += t;
                }
                // This try heard through a copy of the stream, stretch by stretch (a replayed
                // window plays its stretches as they come, unjudged). A seam-aware window may
                // end up to maxCut frames short: the probe keeps the decoder there.
                const int checkpoint =
                    candidates > 1 && replayFrames == 0 ? req.newFrames - maxCut : 0;
                std::unique_ptr<StreamProbe> probe =
                    copies ? StreamProbe::open(*decoder, checkpoint) : nullptr;
                // The session's first window is first judged after a shorter stretch when the
                // recipe asks (Recipe::firstAcceptSeconds): nothing plays before it.
                int finalFrames = 0, nextCheck = plan.nextCheck(w, made, 0, req.newFrames);
                std::optional<WindowVerdict> early; // the check that rejected this try
                // Whether the guard judges the window at nextCheck (none in its last stretch).
                const auto checkAhead = [&] {
                    return progressive && nextCheck <= req.newFrames - plan.lastStretch;
                };
                // The frames the probe may decode ahead: up to the guard's next check (it
                // commits the decoder there) and the replayed length.
                const auto feedLimit = [&] {
                    int limit = finalFrames;
                    if (checkAhead()) limit = std::min(limit, nextCheck);
                    if (replayFrames > 0) limit = std::min(limit, replayFrames);
                    return limit;
                };
                // The seam choice may hand on its kept candidate with its opening made: those
                // frames join the try as if just stepped.
                offered = 0;
                offerAhead(nullptr, 0); // a new try: what the last one made is not the context
                if (const CodeGrid opened = window->newCodes(); opened.frames > 0) {
                    finalFrames = opened.frames;
                    offerAhead(window.get(), finalFrames);
                    if (probe) {
                        probe->add(opened);
                        if (codecCpu) probe->feed(feedLimit());
                    }
                }
                while (!window->done()) {
                    if (cb.cancel && cb.cancel->load(std::memory_order_relaxed)) {
                        cancelled = true;
                        break;
                    }
                    const CodeGrid fresh = window->step();
                    finalFrames += fresh.frames;
                    if (fresh.frames > 0) offerAhead(window.get(), finalFrames);
                    if (probe) {
                        probe->add(fresh);
                        if (codecCpu) probe->feed(feedLimit()); // decoded on the codec's thread
                    }
                    if (cb.onProgress) {
                        const double elapsed =
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                                .count();
                        const double done = made + double(window->stepsDone()) /
                                                       window->totalSteps() * req.newFrames;
                        GenerationProgress p;
                        p.step = static_cast<int>(done);
                        p.totalSteps = plan.totalNewFrames;
                        p.elapsedSeconds = elapsed;
                        p.etaSeconds = done > 0 ? elapsed / done * (plan.totalNewFrames - done) : 0;
                        p.audioSeconds = audioSeconds;
                        p.window = w;
                        p.windows = windows;
                        cb.onProgress(p);
                    }
                    if (replayFrames > 0 && finalFrames >= replayFrames) break;
                    // Every stretch but the window's last is judged (with all of the window
                    // before it) as soon as it is final, and plays if the guard accepts it.
                    if (checkAhead() && (replayFrames == 0 || nextCheck <= replayFrames) &&
                        finalFrames >= nextCheck) {
                        const CodeGrid soFar = window->newCodes().slice(0, nextCheck);
                        probe->feed(nextCheck);
                        // A try off the emotion path at its first stretch is remade after
                        // seconds, not a whole window; a window drifting off it later ends
                        // there and the next one (judged at its start) steers back.
                        const WindowVerdict v =
                            replay ? WindowVerdict{}
                                   : judge(soFar, probe->heard(), startSeconds, !resume);
                        if (!v.ok()) {
                            early = v;
                            break;
                        }
                        StreamProbe::Part part = probe->commit();
                        decoder = std::move(part.decoder); // the stream as far as it is accepted
                        stream = joinFrames(stream, soFar.slice(committed, nextCheck));
                        committed = nextCheck;
                        // Each stretch is made while the one before it plays
                        // (WindowPlan::nextCheck: paced, or doubling in the first window).
                        nextCheck = plan.nextCheck(w, made, nextCheck, req.newFrames);
                        emit(part.chunk);
                    }
                }
                if (cancelled) break; // an unfinished window is dropped: finished ones stay
                CodeGrid all = window->newCodes();
                window.reset(); // its KV cache goes before the next window's is made
                // A replayed window was accepted when it was made: the recipe says so.
                if (replay) {
                    accepted = all.slice(committed, replayFrames > 0 ? replayFrames : all.frames);
                    if (probe) probe->feed(committed + accepted.frames); // heard for the seam
                    tried = std::move(probe);
                    break;
                }
                WindowVerdict verdict;
                if (early) {
                    verdict = *early;
                    all = all.slice(0, nextCheck);
                    tried = std::move(probe);
                } else {
                    // The guard hears the window as the stream will play it: through a copy
                    // of the stream decoder (its whole history), else decoded after its
                    // context.
                    const CodeGrid rest = all.slice(committed, all.frames);
                    std::vector<float> heard;
                    if (probe) {
                        probe->feed(all.frames);
                        heard = probe->heard();
                        tried = std::move(probe);
                    } else {
                        heard = windowAudio(codec, req.context, all).samples;
                    }
                    verdict = judge(all, std::move(heard), startSeconds, true);
                    if (resume) verdict.offPath = false; // the closest of the misses
                    if (verdict.ok()) {
                        emotionError = verdict.emotionError;
                        accepted = rest;
                        break;
                    }
                }
                emotionError = verdict.emotionError;
                if (committed > 0) {
                    // The start of this try already played: the window ends where the guard
                    // last accepted it, and the next window continues from there.
                    cut = true;
                    accepted = CodeGrid(K, 0);
                    tried.reset();
                    break;
                }
                if (!resume && (!best || verdict.betterThan(best->verdict)))
                    best = Rejected{std::move(all), seed, std::move(tried), verdict, guidance};
                const bool onlyOffPath = !best->verdict.silent && !best->verdict.looped &&
                                         !best->verdict.gap && best->verdict.offPath;
                if (attempt + 1 == kMaxTries && onlyOffPath && best->codes.frames < req.newFrames) {
                    resume = true; // the closest start goes on (above)
                    continue;
                }
                if (attempt + 1 >= kMaxTries) { // every try failed: the best of them is kept
                    accepted = std::move(best->codes);
                    seed = best->seed;
                    tried = std::move(best->probe);
                    emotionError = best->verdict.emotionError;
                    guidance = best->guidance;
                    // A try rejected at an early check was made only that far.
                    cut = accepted.frames < req.newFrames;
                    break;
                }
            }
            if (cancelled && committed == 0) { // nothing of this window was played
                windowEnds.pop_back();
                windowSquares.pop_back();
                windowCounts.pop_back();
                break;
            }
            if (cancelled) accepted = CodeGrid(K, 0), cut = true, tried.reset();
            const int windowFrames = committed + accepted.frames;
            const bool last = made + windowFrames >= plan.totalNewFrames;
            // Seam-aware sessions end a window (not the last) where its music is quietest, so
            // that the next window's opening meets a lull rather than a note's attack. A
            // window cut short by the guard ends where it was accepted (already played).
            if (candidates > 1 && !cut && tried && !last) {
                const int cutFrames =
                    seams.cutBack(tried->untaken(), codec.samplesPerFrame(), info.frameRate);
                if (cutFrames > 0 && cutFrames < accepted.frames)
                    accepted = accepted.slice(0, accepted.frames - cutFrames);
            }
            if (replay) guidance = recorded[w].emotionGuidance;
            const int kept = committed + accepted.frames;
            if (seed != windowSeed(recipe.seed, w) || replay || checking || guidance || cut)
                result.recipe.reseeds.push_back({w, seed, guidance, cut ? kept : 0});
            result.windowTries.push_back(tries);
            result.windowEmotionErrors.push_back(emotionError);
            result.windowPrepareSeconds.push_back(prepareSeconds);
            result.windowPrefillSeconds.push_back(prefillSeconds);
            result.windowAheadColumns.push_back(aheadColumns);
            result.windowSeamCandidates.push_back(seamTried);
            stream = joinFrames(stream, accepted);
            made += kept;
            windowEnds.back() = static_cast<std::size_t>(stream.frames) * spf;
            // The accepted try was decoded on a copy of the stream: it goes on from there (from
            // its checkpoint when cut back); otherwise the window is decoded now.
            StreamProbe::Part end;
            if (tried) end = tried->end(committed + accepted.frames);
            if (end.decoder) {
                decoder = std::move(end.decoder);
            } else {
                end.chunk = decoder->pushAndDrain(accepted);
            }
            emit(end.chunk);
            if (cancelled) break;
        }
        emit(decoder->finish());
        for (std::size_t w = 0; w < windowEnds.size(); ++w) {
            const double rms =
                windowCounts[w] > 0 ? std::sqrt(windowSquares[w] / windowCounts[w]) : 0.0;
            result.windowLevels.push_back(rms > 0 ? 20 * std::log10(rms) : -200.0);
        }
        if (codecCpu) result.decodeThreadCpuSeconds = codecCpu->load();
        result.readAheadCpuSeconds = aheadCpu;
        result.cancelled = cancelled;
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
    result.numCodebooks = K;
    result.frames = stream.frames;
    result.codes = std::move(stream.data);
    result.recipe.incomplete = result.cancelled;
    result.recipe.model = recipe.model.empty() ? info.folder : recipe.model;
    result.recipe.engineVersion = engineVersion();
    result.generationSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace moodsteer
