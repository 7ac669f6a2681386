#include "io/CsvTable.h"

#include "models/BoundedRead.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moodsteer {

std::vector<CsvRecord> parseCsvRecords(const std::string& text, const std::string& label) {
    std::vector<CsvRecord> records;
    CsvRecord rec;
    std::string field;
    bool quoted = false, fieldStarted = false, any = false;
    int line = 1;
    rec.line = 1;
    std::size_t i = 0;
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) // UTF-8 byte order mark
        i = 3;
    auto endRecord = [&] {
        rec.fields.push_back(field);
        field.clear();
        fieldStarted = false;
        const bool blank = rec.fields.size() == 1 && rec.fields[0].empty() && !any;
        if (!blank) records.push_back(rec);
        rec = CsvRecord{};
        rec.line = line;
        any = false;
    };
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = fieldStarted = any = true;
        } else if (c == ',') {
            rec.fields.push_back(field);
            field.clear();
            fieldStarted = false;
            any = true;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            ++line;
            endRecord();
        } else {
            field += c;
            fieldStarted = any = true;
        }
    }
    if (quoted)
        throw std::runtime_error("'" + label + "': unterminated quoted field starting on line " +
                                 std::to_string(rec.line));
    if (any || !field.empty()) endRecord();
    return records;
}

std::string trimCsvField(const std::string& field) {
    const auto b = field.find_first_not_of(" \t"), e = field.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : field.substr(b, e - b + 1);
}

std::string readCsvFile(const std::string& path) {
    return models::readFileBounded(path, models::kCsvFile);
}

CsvTable CsvTable::read(const std::string& path) {
    return parse(readCsvFile(path), path);
}

CsvTable CsvTable::parse(const std::string& text, const std::string& label) {
    auto records = parseCsvRecords(text, label);
    if (records.empty()) throw std::runtime_error("'" + label + "' is empty");
    CsvTable t;
    t.label_ = label;
    t.header_ = records.front().fields;
    for (std::size_t i = 0; i < t.header_.size(); ++i)
        t.index_[t.header_[i]] = i;
    for (std::size_t r = 1; r < records.size(); ++r) {
        if (records[r].fields.size() != t.header_.size())
            throw std::runtime_error("'" + label + "' line " + std::to_string(records[r].line) +
                                     " has " + std::to_string(records[r].fields.size()) +
                                     " fields, the header " + std::to_string(t.header_.size()));
        t.rows_.push_back(std::move(records[r].fields));
    }
    return t;
}

const std::string& CsvTable::at(std::size_t row, const std::string& column) const {
    auto it = index_.find(column);
    if (it == index_.end())
        throw std::runtime_error("'" + label_ + "' has no column '" + column + "'");
    return rows_.at(row).at(it->second);
}

double CsvTable::number(std::size_t row, const std::string& column) const {
    const std::string& s = at(row, column);
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(s, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != s.size())
        throw std::runtime_error("'" + label_ + "' row " + std::to_string(row + 2) + ": column '" +
                                 column + "' is not a number: '" + s + "'");
    return v;
}

std::string CsvTable::quote(const std::string& field) {
    if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
    std::string out = "\"";
    for (char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

} // namespace moodsteer
