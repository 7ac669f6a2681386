// Predicted-vs-target scatter export: CSV for any plotting tool and a hand-written SVG (the
// CLI is Qt-free, so QCustomPlot's renderer is not available there).
#include "core/emotion/EmotionMetrics.h"

#include "models/AtomicFile.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace moodsteer {
namespace {

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string xmlEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
        case '&':
            o += "&amp;";
            break;
        case '<':
            o += "&lt;";
            break;
        case '>':
            o += "&gt;";
            break;
        case '"':
            o += "&quot;";
            break;
        default:
            o += c;
        }
    }
    return o;
}

std::string num(double v, const char* fmt = "%.2f") {
    char b[64];
    std::snprintf(b, sizeof b, fmt, v);
    return b;
}

// One panel: 1..9 on both axes, inside the square (x0, y0, size).
void panel(std::ostringstream& o, double x0, double y0, double size, const std::string& label,
           const std::vector<double>& t, const std::vector<double>& p, const DimensionMetrics& m) {
    auto X = [&](double v) { return x0 + (v - 1) / 8 * size; };
    auto Y = [&](double v) { return y0 + size - (v - 1) / 8 * size; };
    auto clampScale = [](double v) { return std::max(1.0, std::min(9.0, v)); };
    o << "<rect x='" << x0 << "' y='" << y0 << "' width='" << size << "' height='" << size
      << "' fill='white' stroke='#444'/>\n";
    for (int v = 1; v <= 9; ++v) {
        o << "<line x1='" << X(v) << "' y1='" << y0 << "' x2='" << X(v) << "' y2='" << y0 + size
          << "' stroke='#eee'/>"
          << "<line x1='" << x0 << "' y1='" << Y(v) << "' x2='" << x0 + size << "' y2='" << Y(v)
          << "' stroke='#eee'/>\n";
        o << "<text x='" << X(v) << "' y='" << y0 + size + 16 << "' text-anchor='middle'>" << v
          << "</text><text x='" << x0 - 8 << "' y='" << Y(v) + 4 << "' text-anchor='end'>" << v
          << "</text>\n";
    }
    // Ideal line, and the error band mean +- sigma (parallel to it), clipped to the square.
    o << "<line x1='" << X(1) << "' y1='" << Y(1) << "' x2='" << X(9) << "' y2='" << Y(9)
      << "' stroke='#2a7' stroke-width='2'/>\n";
    for (double off : {m.errorMean - m.errorSigma, m.errorMean + m.errorSigma}) {
        const double a = std::max(1.0, 1 - off), b = std::min(9.0, 9 - off);
        if (a < b)
            o << "<line x1='" << X(a) << "' y1='" << Y(a + off) << "' x2='" << X(b) << "' y2='"
              << Y(b + off) << "' stroke='#2a7' stroke-dasharray='6,4'/>\n";
    }
    for (std::size_t i = 0; i < t.size(); ++i)
        o << "<circle cx='" << num(X(clampScale(t[i]))) << "' cy='" << num(Y(clampScale(p[i])))
          << "' r='3.5' fill='#36c' fill-opacity='0.7'/>\n";
    o << "<text x='" << x0 + size / 2 << "' y='" << y0 - 10 << "' text-anchor='middle'>" << label
      << ": CCC " << num(m.ccc) << ", PCC " << num(m.pcc) << ", RMSE " << num(m.rmse) << ", &#963; "
      << num(m.errorSigma) << "</text>\n";
    o << "<text x='" << x0 + size / 2 << "' y='" << y0 + size + 36
      << "' text-anchor='middle'>target " << label << "</text>\n";
    o << "<text transform='translate(" << x0 - 32 << "," << y0 + size / 2
      << ") rotate(-90)' text-anchor='middle'>predicted " << label << "</text>\n";
}

} // namespace

void writeEmotionScatterCsv(const std::string& path,
                            const std::vector<EmotionScatterPoint>& points) {
    std::ostringstream o;
    o << "name,target_valence,predicted_valence,target_arousal,predicted_arousal\n";
    for (const auto& p : points)
        o << csvField(p.name) << ',' << num(p.target.valence, "%.6g") << ','
          << num(p.predicted.valence, "%.6g") << ',' << num(p.target.arousal, "%.6g") << ','
          << num(p.predicted.arousal, "%.6g") << '\n';
    models::writeTextAtomically(path, o.str());
}

std::string emotionScatterSvg(const std::vector<EmotionScatterPoint>& points,
                              const std::string& title) {
    std::vector<double> tv, pv, ta, pa;
    for (const auto& p : points) {
        tv.push_back(p.target.valence);
        pv.push_back(p.predicted.valence);
        ta.push_back(p.target.arousal);
        pa.push_back(p.predicted.arousal);
    }
    const auto mv = computeDimensionMetrics(tv, pv, "valence");
    const auto ma = computeDimensionMetrics(ta, pa, "arousal");
    std::ostringstream o;
    o << "<?xml version='1.0' encoding='UTF-8'?>\n"
         "<svg xmlns='http://www.w3.org/2000/svg' width='960' height='520' "
         "font-family='sans-serif' font-size='13'>\n"
         "<rect width='960' height='520' fill='white'/>\n";
    o << "<text x='480' y='24' text-anchor='middle' font-size='16'>"
      << xmlEscape(title.empty() ? "Predicted vs target emotion" : title)
      << " (n = " << points.size() << ")</text>\n";
    panel(o, 70, 70, 380, "arousal", ta, pa, ma);
    panel(o, 550, 70, 380, "valence", tv, pv, mv);
    o << "</svg>\n";
    return o.str();
}

void writeEmotionScatterSvg(const std::string& path, const std::vector<EmotionScatterPoint>& points,
                            const std::string& title) {
    models::writeTextAtomically(path, emotionScatterSvg(points, title));
}

} // namespace moodsteer
