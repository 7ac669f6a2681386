// Every reader refuses what is not a regular file before it reads (a FIFO must not hang,
// /dev/zero must not grow without end), bounds what it reads per kind of file, and names the
// file in one line. Also: prompts are bounded before the text encoder, LibTorch errors and
// allocation failures become one line. Each case here hung, grew or gave a stack trace on
// main before the bounded readers (docs/reliability.md).
#include "TestPaths.h"
#include "engine/OneLineErrors.h"
#include "io/CsvTable.h"

#include "core/audio/AudioFile.h"
#include "core/emotion/GenreClassifier.h"
#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"
#include "core/io/ErrorText.h"
#include "core/io/FileInput.h"
#include "core/steering/SteeringVector.h"
#include "models/BoundedRead.h"
#include "models/MusicgenModel.h"
#include "models/Safetensors.h"
#include "models/SentencePieceTokenizer.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <future>
#include <sys/stat.h>
#include <unistd.h>

using namespace moodsteer;
namespace fs = std::filesystem;

namespace {

/// Runs `read` (which must throw) with a deadline. If it blocks on the FIFO (the bug), the
/// FIFO is opened for writing and closed so the reader gets end-of-file and the test fails
/// instead of hanging.
std::string errorWithin(const std::function<void()>& read, const fs::path& fifo = {}) {
    auto result = std::async(std::launch::async, [&]() -> std::string {
        try {
            read();
        } catch (const std::exception& e) {
            return e.what();
        }
        return "(no error)";
    });
    if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        ADD_FAILURE() << "the reader blocked for 5 s";
        if (!fifo.empty())
            for (int i = 0; i < 100 && result.wait_for(std::chrono::milliseconds(50)) !=
                                           std::future_status::ready;
                 ++i) {
                const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
                if (w >= 0) ::close(w);
            }
    }
    return result.get();
}

void writeFile(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

struct Scratch {
    fs::path dir = test::scratchDir("bounded-read");
    fs::path fifo = dir / "pipe";
    Scratch() { EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0); }
    ~Scratch() { fs::remove_all(dir); }
};

} // namespace

TEST(BoundedRead, EveryReaderRefusesAFifoAtOnceNamingIt) {
    Scratch s;
    const std::string p = s.fifo.string();
    const std::vector<std::pair<const char*, std::function<void()>>> readers = {
        {"recipe", [&] { readRecipeFile(p); }},
        {"CSV", [&] { CsvTable::read(p); }},
        {"audio", [&] { readAudioFile(p); }},
        {"safetensors", [&] { models::SafetensorsReader::open(p); }},
        {"steering vector", [&] { SteeringVector::load(p, ""); }},
        {"model config", [&] { models::MusicgenConfig::fromFile(p); }},
        {"classifier", [&] { GenreClassifier::load(p); }},
        {"tokenizer", [&] { models::SentencePieceTokenizer::load(p); }},
    };
    for (const auto& [what, read] : readers) {
        const std::string error = errorWithin(read, s.fifo);
        EXPECT_NE(error.find("FIFO"), std::string::npos) << what << ": " << error;
        EXPECT_NE(error.find(p), std::string::npos) << what << ": " << error;
    }
}

TEST(BoundedRead, DevicesAndFoldersAreRefusedNotRead) {
    Scratch s;
    for (const std::string& p : {std::string("/dev/zero"), std::string("/dev/urandom")}) {
        const std::string recipe = errorWithin([&] { readRecipeFile(p); });
        EXPECT_NE(recipe.find("character device"), std::string::npos) << recipe;
        const std::string csv = errorWithin([&] { CsvTable::read(p); });
        EXPECT_NE(csv.find("character device"), std::string::npos) << csv;
        const std::string audio = errorWithin([&] { readAudioFile(p); });
        EXPECT_NE(audio.find("character device"), std::string::npos) << audio;
    }
    const std::string folder = errorWithin([&] { readRecipeFile(s.dir.string()); });
    EXPECT_NE(folder.find("is a folder"), std::string::npos) << folder;
    EXPECT_NE(folder.find("recipe '" + s.dir.string() + "'"), std::string::npos) << folder;
    const std::string missing =
        errorWithin([&] { readRecipeFile((s.dir / "nope.json").string()); });
    EXPECT_NE(missing.find("does not exist"), std::string::npos) << missing;
}

TEST(BoundedRead, SizeLimitPerKindOfFile) {
    Scratch s;
    const fs::path big = s.dir / "big.recipe.json";
    writeFile(big, "{\"prompt\":\"" + std::string(models::kRecipeFile.maxBytes, 'a') + "\"}");
    const std::string error = errorWithin([&] { readRecipeFile(big.string()); });
    EXPECT_NE(error.find("1048589 bytes, above the limit of 1 MB for a recipe"), std::string::npos)
        << error;
    EXPECT_NE(error.find(big.string()), std::string::npos) << error;
    // At the limit is fine; an empty file reads as empty.
    const fs::path exact = s.dir / "exact.json";
    writeFile(exact, std::string(models::kRecipeFile.maxBytes, ' '));
    EXPECT_EQ(readRecipeFile(exact.string()).size(), models::kRecipeFile.maxBytes);
    writeFile(s.dir / "empty.json", "");
    EXPECT_EQ(readRecipeFile((s.dir / "empty.json").string()), "");
    // Files whose reported size is 0 are read to their end (and still bounded).
    EXPECT_NE(readBoundedTextFile("/proc/self/status", "status", 1 << 20).find("VmRSS"),
              std::string::npos);
    const std::string proc =
        errorWithin([&] { readBoundedTextFile("/proc/self/status", "status", 16); });
    EXPECT_NE(proc.find("more than 16 bytes, above the limit of 16 bytes"), std::string::npos)
        << proc;
}

TEST(BoundedRead, JsonNestingIsBoundedBeforeTheTreeIsBuilt) {
    EXPECT_NO_THROW(models::parseJsonBounded(std::string(32, '[') + std::string(32, ']')));
    try {
        models::parseJsonBounded(std::string(1 << 20, '[') + std::string(1 << 20, ']'));
        FAIL() << "1 M levels parsed";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("nests deeper than 32"), std::string::npos);
    }
    Scratch s;
    const fs::path config = s.dir / "config.json";
    writeFile(config, std::string(100000, '[') + std::string(100000, ']'));
    const std::string error =
        errorWithin([&] { models::MusicgenConfig::fromFile(config.string()); });
    EXPECT_NE(error.find(config.string()), std::string::npos) << error;
    EXPECT_NE(error.find("nests deeper"), std::string::npos) << error;
}

namespace {
// A 16-bit PCM WAV with `frames` samples whose header fields can then be patched.
std::string wav(int rate, int channels, int frames) {
    std::string data(static_cast<std::size_t>(frames) * channels * 2, '\0');
    for (std::size_t i = 0; i < data.size(); i += 2)
        data[i + 1] = static_cast<char>((i / 2) % 64);
    auto u32 = [](std::uint32_t v) { return std::string(reinterpret_cast<char*>(&v), 4); };
    auto u16 = [](std::uint16_t v) { return std::string(reinterpret_cast<char*>(&v), 2); };
    return "RIFF" + u32(36 + static_cast<std::uint32_t>(data.size())) + "WAVEfmt " + u32(16) +
           u16(1) + u16(static_cast<std::uint16_t>(channels)) + u32(rate) +
           u32(static_cast<std::uint32_t>(rate * channels * 2)) +
           u16(static_cast<std::uint16_t>(channels * 2)) + u16(16) + "data" +
           u32(static_cast<std::uint32_t>(data.size())) + data;
}
} // namespace

TEST(BoundedRead, AudioHeadersCannotAskForAbsurdSizes) {
    Scratch s;
    const fs::path good = s.dir / "good.wav";
    writeFile(good, wav(32000, 2, 100));
    EXPECT_EQ(readAudioFile(good.string()).samples.size(), 100u);

    std::string lying = wav(32000, 1, 100); // data chunk claims 2 GB: only 100 frames exist
    const std::uint32_t huge = 0x7FFFFFF0;
    lying.replace(40, 4, reinterpret_cast<const char*>(&huge), 4);
    writeFile(s.dir / "lying.wav", lying);
    EXPECT_EQ(readAudioFile((s.dir / "lying.wav").string()).samples.size(), 100u);

    std::string rate = wav(32000, 1, 100);
    const std::uint32_t absurdRate = 4000000;
    rate.replace(24, 4, reinterpret_cast<const char*>(&absurdRate), 4);
    writeFile(s.dir / "rate.wav", rate);
    const std::string rateError =
        errorWithin([&] { readAudioFile((s.dir / "rate.wav").string()); });
    EXPECT_NE(rateError.find("sample rate of 4000000 Hz"), std::string::npos) << rateError;

    writeFile(s.dir / "zero.wav", wav(32000, 1, 0));
    const std::string zero = errorWithin([&] { readAudioFile((s.dir / "zero.wav").string()); });
    EXPECT_NE(zero.find("contains no samples"), std::string::npos) << zero;
}

TEST(OneLineErrors, LibTorchErrorsLoseTheirBacktrace) {
    const c10::Error error(c10::SourceLocation{"f", "alloc_cpu.cpp", 75},
                           "[enforce fail at alloc_cpu.cpp:75] data. DefaultCPUAllocator: not "
                           "enough memory: you tried to allocate 13631488000 bytes.");
    const std::string what = error.what();
    ASSERT_NE(what.find('\n'), std::string::npos) << "c10::Error::what() has a backtrace";
    const std::string line = oneLineError(error);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.rfind("out of memory: not enough memory", 0), 0u) << line;
    EXPECT_NE(oneLineError(std::bad_alloc()).find("out of memory"), std::string::npos);
    EXPECT_EQ(oneLineError(std::runtime_error("a\nb")), "a");
    // The engine's wrapper turns both into EngineError.
    EXPECT_THROW(withOneLineErrors([]() -> int { throw std::bad_alloc(); }), EngineError);
    try {
        withOneLineErrors([&]() -> int { throw error; });
    } catch (const EngineError& e) {
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
}

TEST(PromptBound, LongPromptsAreRefusedInOneLineBeforeTheEncoder) {
    const auto folder = MusicEngine::embeddedModelFolder();
    if (folder.empty()) GTEST_SKIP() << "no embedded model";
    auto engine = MusicEngine::load(folder);
    if (!engine->info().hasTokenizer) GTEST_SKIP() << "embedded model has no tokenizer";
    Recipe r;
    r.seconds = 0.5;
    // 2 M characters: refused by size before tokenizing (was a 33-line LibTorch trace).
    r.prompt = std::string(2'000'000, 'x');
    const auto t0 = std::chrono::steady_clock::now();
    try {
        engine->generate(r);
        FAIL() << "a 2 MB prompt generated";
    } catch (const EngineError& e) {
        EXPECT_NE(std::string(e.what()).find("2000000 bytes long"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    // 20,000 words fit the byte limit? No: 100 KB. 3,000 short words (< 16 KB) are > 512 tokens.
    r.prompt.clear();
    for (int i = 0; i < 3000; ++i)
        r.prompt += (i % 2 ? "jazz " : "rock ");
    ASSERT_LE(r.prompt.size(), MusicEngine::kMaxPromptBytes);
    try {
        engine->generate(r);
        FAIL() << "a 3000-word prompt generated";
    } catch (const EngineError& e) {
        EXPECT_NE(std::string(e.what()).find("tokens long; the text encoder takes at most 512"),
                  std::string::npos)
            << e.what();
    }
    r.prompt.clear();
    r.promptIds.assign(MusicEngine::kMaxPromptTokens + 1, 5);
    EXPECT_THROW(engine->generate(r), EngineError);
    // At the limit it generates.
    r.promptIds.assign(MusicEngine::kMaxPromptTokens, 5);
    EXPECT_NO_THROW(engine->generate(r));
}
