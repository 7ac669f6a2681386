#include "CsvTable.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moodsteer {

CsvTable CsvTable::read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read '" + path + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

CsvTable CsvTable::parse(const std::string& text, const std::string& label) {
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false, fieldStarted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
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
                field += c;
            }
        } else if (c == '"' && field.empty()) {
            quoted = true;
            fieldStarted = true;
        } else if (c == ',') {
            record.push_back(field);
            field.clear();
            fieldStarted = true;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            if (fieldStarted || !field.empty() || !record.empty()) {
                record.push_back(field);
                records.push_back(record);
            }
            record.clear();
            field.clear();
            fieldStarted = false;
        } else {
            field += c;
            fieldStarted = true;
        }
    }
    if (quoted)
        throw std::runtime_error("'" + label + "': unterminated quoted field");
    if (fieldStarted || !field.empty() || !record.empty()) {
        record.push_back(field);
        records.push_back(record);
    }
    if (records.empty())
        throw std::runtime_error("'" + label + "' is empty");
    CsvTable t;
    t.label_ = label;
    t.header_ = records.front();
    for (std::size_t i = 0; i < t.header_.size(); ++i)
        t.index_[t.header_[i]] = i;
    for (std::size_t r = 1; r < records.size(); ++r) {
        if (records[r].size() != t.header_.size())
            throw std::runtime_error("'" + label + "' row " + std::to_string(r + 1) + " has " +
                                     std::to_string(records[r].size()) + " fields, the header " +
                                     std::to_string(t.header_.size()));
        t.rows_.push_back(std::move(records[r]));
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
    if (field.find_first_of(",\"\n\r") == std::string::npos)
        return field;
    std::string out = "\"";
    for (char c : field) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

} // namespace moodsteer
