// Emotion words placed on the valence-arousal plane (Glasgow Norms, 1-9 scale), read from a
// CSV with `word,valence,arousal,...` columns. Used by the pad to label the plane and by the
// text baseline to turn a (v, a) target into "Generate a [word] music.".
#pragma once

#include <QString>
#include <QVector>

namespace moodsteer::widgets {

struct VaWord {
    QString word;
    double valence = 5;
    double arousal = 5;
};

class VaWordList {
  public:
    VaWordList() = default;
    /// Throws std::runtime_error naming the file (and line) when it is missing or malformed.
    static VaWordList fromCsv(const QString& path);
    /// The studio's copy: resources/va_words/va_words.csv, else the shared data copy.
    static QString defaultPath();

    const QVector<VaWord>& words() const { return words_; }
    bool isEmpty() const { return words_.isEmpty(); }
    /// Up to `count` words closest to (v, a), nearest first (Euclidean on the 1-9 plane).
    QVector<VaWord> nearest(double valence, double arousal, int count) const;

  private:
    QVector<VaWord> words_;
};

} // namespace moodsteer::widgets
