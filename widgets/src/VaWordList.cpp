#include "widgets/VaWordList.h"

#include "core/emotion/EmotionLexicon.h"

#include "core/io/Resources.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTextStream>

#include <algorithm>
#include <stdexcept>

namespace moodsteer::widgets {

VaWordList VaWordList::fromCsv(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        throw std::runtime_error("cannot read emotion word list " + path.toStdString());
    QTextStream in(&file);
    const QStringList header = in.readLine().trimmed().split(',');
    const int wi = header.indexOf("word"), vi = header.indexOf("valence"),
              ai = header.indexOf("arousal");
    if (wi < 0 || vi < 0 || ai < 0)
        throw std::runtime_error("emotion word list " + path.toStdString() +
                                 ": header needs word, valence and arousal columns");
    VaWordList list;
    int lineNo = 1;
    while (!in.atEnd()) {
        const QString line = in.readLine();
        ++lineNo;
        if (line.trimmed().isEmpty()) continue;
        const QStringList f = line.split(',');
        bool okV = false, okA = false;
        VaWord w;
        if (f.size() > std::max({wi, vi, ai})) {
            w.word = f[wi].trimmed();
            w.valence = f[vi].toDouble(&okV);
            w.arousal = f[ai].toDouble(&okA);
        }
        if (!okV || !okA || w.word.isEmpty() || w.valence < 1 || w.valence > 9 || w.arousal < 1 ||
            w.arousal > 9)
            throw std::runtime_error("emotion word list " + path.toStdString() + " line " +
                                     std::to_string(lineNo) + ": expected word,v,a in 1..9");
        list.words_.push_back(w);
    }
    if (list.words_.isEmpty())
        throw std::runtime_error("emotion word list " + path.toStdString() + " has no words");
    return list;
}

QString VaWordList::defaultPath() {
    const QString own = QString::fromStdString(resourcePath("va_words/va_words.csv"));
    if (QFileInfo::exists(own)) return own;
    // Until resources/ carries its copy, the shared data folder next to the checkout.
    return QDir::cleanPath(QString::fromStdString(resourceDir()) +
                           "/../../shared/data/va_words/va_words.csv");
}

QVector<VaWord> VaWordList::nearest(double valence, double arousal, int count) const {
    // Label with mood words when the list has them ("tender", "furious"), not with whatever
    // word happens to lie closest in the full norms ("vomit", "chipmunk").
    const auto& moods = EmotionLexicon::moodVocabulary();
    bool anyMood = false;
    for (const VaWord& w : words_)
        anyMood = anyMood || moods.count(w.word.toStdString()) > 0;
    QVector<std::pair<double, int>> d;
    d.reserve(words_.size());
    for (int i = 0; i < words_.size(); ++i) {
        if (anyMood && !moods.count(words_[i].word.toStdString())) continue;
        const double dv = words_[i].valence - valence, da = words_[i].arousal - arousal;
        d.push_back({dv * dv + da * da, i});
    }
    const int n = std::min<int>(count, d.size());
    std::partial_sort(d.begin(), d.begin() + n, d.end());
    QVector<VaWord> out;
    for (int i = 0; i < n; ++i)
        out.push_back(words_[d[i].second]);
    return out;
}

} // namespace moodsteer::widgets
