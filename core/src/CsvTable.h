// A small RFC 4180 CSV reader (quoted fields, doubled quotes, embedded commas and newlines)
// for labels.csv files.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace moodsteer {

class CsvTable {
public:
    /// Throws std::runtime_error naming the file for a missing file or ragged rows.
    static CsvTable read(const std::string& path);
    static CsvTable parse(const std::string& text, const std::string& label = "<text>");

    const std::vector<std::string>& header() const { return header_; }
    std::size_t rows() const { return rows_.size(); }
    bool hasColumn(const std::string& name) const { return index_.count(name) > 0; }
    /// Throws naming the file and the column when absent.
    const std::string& at(std::size_t row, const std::string& column) const;
    double number(std::size_t row, const std::string& column) const;

    static std::string quote(const std::string& field);

private:
    std::string label_;
    std::vector<std::string> header_;
    std::map<std::string, std::size_t> index_;
    std::vector<std::vector<std::string>> rows_;
};

} // namespace moodsteer
