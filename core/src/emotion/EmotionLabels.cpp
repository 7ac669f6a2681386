// labels.csv for emotion training/evaluation: RFC 4180 CSV (quoted fields with commas,
// doubled quotes and line breaks), a header naming file, valence and arousal in any order.
#include "core/emotion/EmotionPredictor.h"

#include "io/CsvTable.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace moodsteer {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

} // namespace

std::vector<EmotionLabel> readEmotionLabels(const std::string& csvPath) {
    std::string text;
    try {
        text = readCsvFile(csvPath);
    } catch (const std::runtime_error&) {
        throw std::runtime_error("cannot open labels file '" + csvPath + "'");
    }
    const auto records = parseCsvRecords(text, csvPath);
    if (records.empty())
        throw std::runtime_error("'" + csvPath + "' is empty (expected a header with file, " +
                                 "valence, arousal)");
    int colFile = -1, colV = -1, colA = -1, colGenre = -1, colArtist = -1;
    const auto& header = records[0].fields;
    for (std::size_t c = 0; c < header.size(); ++c) {
        const std::string h = lower(trimCsvField(header[c]));
        if (h == "file")
            colFile = static_cast<int>(c);
        else if (h == "valence")
            colV = static_cast<int>(c);
        else if (h == "arousal")
            colA = static_cast<int>(c);
        else if (h == "genre")
            colGenre = static_cast<int>(c);
        else if (h == "artist")
            colArtist = static_cast<int>(c);
    }
    if (colFile < 0 || colV < 0 || colA < 0)
        throw std::runtime_error("'" + csvPath + "': the header must name the columns file, " +
                                 "valence and arousal");
    std::vector<EmotionLabel> out;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const auto& f = records[r].fields;
        const std::string where = "'" + csvPath + "' line " + std::to_string(records[r].line);
        const std::size_t need = static_cast<std::size_t>(std::max({colFile, colV, colA})) + 1;
        if (f.size() < need)
            throw std::runtime_error(where + ": " + std::to_string(f.size()) + " fields, need " +
                                     std::to_string(need));
        auto value = [&](int col, const char* name) {
            const std::string v = trimCsvField(f[col]);
            double d = 0;
            std::size_t used = 0;
            try {
                d = std::stod(v, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (v.empty() || used != v.size() || !std::isfinite(d))
                throw std::runtime_error(where + ": " + name + " '" + v + "' is not a number");
            if (d < 1 || d > 9)
                throw std::runtime_error(where + ": " + name + " " + v +
                                         " is outside the 1..9 scale");
            return d;
        };
        EmotionLabel l;
        l.file = trimCsvField(f[colFile]);
        if (l.file.empty()) throw std::runtime_error(where + ": empty file name");
        l.target.valence = value(colV, "valence");
        l.target.arousal = value(colA, "arousal");
        if (colGenre >= 0 && colGenre < static_cast<int>(f.size()))
            l.genre = trimCsvField(f[colGenre]);
        if (colArtist >= 0 && colArtist < static_cast<int>(f.size()))
            l.artist = trimCsvField(f[colArtist]);
        out.push_back(l);
    }
    if (out.empty()) throw std::runtime_error("'" + csvPath + "' has a header but no rows");
    return out;
}

} // namespace moodsteer
