#include "core/probing/LabelledClips.h"

#include "io/CsvTable.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace moodsteer {

LabelledClips LabelledClips::parse(const std::string& csv, const std::string& folder,
                                   const std::string& name, const std::string& labelColumn) {
    int lineNo = 0;
    const auto fail = [&](const std::string& what) {
        throw std::runtime_error(name + ":" + std::to_string(lineNo) + ": " + what);
    };
    std::vector<CsvRecord> records = parseCsvRecords(csv, name);
    for (auto& rec : records)
        for (auto& f : rec.fields)
            f = trimCsvField(f); // unquoted surrounding spaces are not data
    std::map<std::string, std::size_t> column;
    if (!records.empty()) {
        lineNo = records.front().line;
        const auto& fields = records.front().fields;
        for (std::size_t i = 0; i < fields.size(); ++i)
            column[fields[i]] = i;
    }
    // The project's corpus and ../shared/data/genre name the column `genre`.
    std::string labelCol = labelColumn;
    if (labelCol.empty())
        labelCol = column.count("label") || !column.count("genre") ? "label" : "genre";
    for (const std::string& required : {std::string("file"), labelCol})
        if (!column.count(required))
            fail("header lacks the column '" + required + "'" +
                 (labelColumn.empty() ? " (nor 'genre'; name another with --label-column)" : ""));
    const bool hasV = column.count("valence"), hasA = column.count("arousal");
    if (hasV != hasA) fail("give both valence and arousal columns, or neither");

    struct Row {
        std::string file, label;
        std::optional<float> v, a;
    };
    std::vector<Row> rows;
    std::set<std::string> files;
    for (std::size_t rec = 1; rec < records.size(); ++rec) {
        const auto& f = records[rec].fields;
        lineNo = records[rec].line;
        if (f.size() == 1 && f[0].empty()) continue; // a line of spaces
        const auto get = [&](const std::string& col) -> const std::string& {
            const std::size_t i = column.at(col);
            if (i >= f.size()) fail("missing field '" + col + "'");
            return f[i];
        };
        Row r;
        r.file = get("file");
        r.label = get(labelCol);
        if (r.file.empty() || r.label.empty()) fail("empty file or label");
        if (!files.insert(r.file).second) fail("clip '" + r.file + "' listed twice");
        for (auto [col, dst] : {std::pair{"valence", &r.v}, std::pair{"arousal", &r.a}}) {
            if (!column.count(col) || get(col).empty()) continue;
            float value = 0;
            try {
                std::size_t used = 0;
                value = std::stof(get(col), &used);
                if (used != get(col).size()) throw std::invalid_argument(col);
            } catch (const std::exception&) {
                fail(std::string(col) + " '" + get(col) + "' is not a number");
            }
            if (!(value >= 1.0f && value <= 9.0f))
                fail(std::string(col) + " " + get(col) + " outside 1..9");
            *dst = value;
        }
        if (r.v.has_value() != r.a.has_value())
            fail("valence and arousal must both be given or both be empty");
        rows.push_back(std::move(r));
    }
    if (rows.empty()) throw std::runtime_error(name + ": no clips listed");

    LabelledClips out;
    out.folder = folder;
    out.labelColumn = labelCol;
    std::set<std::string> names;
    for (const auto& r : rows)
        names.insert(r.label);
    out.labelNames.assign(names.begin(), names.end());
    out.hasEmotion = true;
    for (const auto& r : rows) {
        LabelledClip c;
        const std::filesystem::path p(r.file);
        c.file = p.is_absolute() ? p.string() : (std::filesystem::path(folder) / p).string();
        c.label = std::lower_bound(out.labelNames.begin(), out.labelNames.end(), r.label) -
                  out.labelNames.begin();
        c.valence = r.v;
        c.arousal = r.a;
        out.hasEmotion = out.hasEmotion && r.v.has_value();
        out.clips.push_back(std::move(c));
    }
    return out;
}

LabelledClips LabelledClips::read(const std::string& folder, const std::string& labelColumn) {
    const std::string path = (std::filesystem::path(folder) / "labels.csv").string();
    std::string text;
    try {
        text = readCsvFile(path);
    } catch (const std::runtime_error&) {
        throw std::runtime_error(path + ": cannot open (a labelled folder needs labels.csv with "
                                        "columns file,label[,valence,arousal])");
    }
    LabelledClips clips = parse(text, folder, path, labelColumn);
    for (const auto& c : clips.clips)
        if (!std::filesystem::is_regular_file(c.file))
            throw std::runtime_error(path + ": clip file '" + c.file + "' does not exist");
    return clips;
}

} // namespace moodsteer
