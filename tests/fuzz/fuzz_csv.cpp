// libFuzzer target for the CSV reader behind label files, emotion word lists and corpora:
// any text parses or throws std::runtime_error; every cell of a parsed table can be read and
// converted (number() throws std::runtime_error for a non-number, never anything else).
#include "io/CsvTable.h"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using moodsteer::CsvTable;
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)moodsteer::parseCsvRecords(text, "fuzz.csv");
    } catch (const std::runtime_error&) {
    }
    try {
        const CsvTable t = CsvTable::parse(text, "fuzz.csv");
        for (std::size_t r = 0; r < t.rows(); ++r)
            for (const auto& column : t.header()) {
                (void)t.at(r, column);
                try {
                    (void)t.number(r, column);
                } catch (const std::runtime_error&) {
                }
            }
        for (const auto& column : t.header())
            (void)CsvTable::quote(column);
    } catch (const std::runtime_error&) {
    }
    return 0;
}
