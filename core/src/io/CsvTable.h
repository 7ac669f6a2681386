// The project's one CSV reader (RFC 4180: quoted fields, doubled quotes, embedded commas and
// line breaks; a UTF-8 byte order mark and blank lines are skipped), for labels.csv files and
// word lists. parseCsvRecords() gives raw records with their line numbers (for readers with
// their own checks and messages); CsvTable adds a header, column lookup and numbers.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace moodsteer {

struct CsvRecord {
    std::vector<std::string> fields;
    int line = 0; ///< 1-based line where the record starts
};

/// Splits `text` into records. Throws std::runtime_error naming `label` and the line for an
/// unterminated quoted field.
std::vector<CsvRecord> parseCsvRecords(const std::string& text, const std::string& label);
/// `field` without surrounding spaces and tabs (labels files written by hand pad them).
std::string trimCsvField(const std::string& field);
/// The whole file as text; throws std::runtime_error naming `path` when it cannot be read.
std::string readCsvFile(const std::string& path);

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
