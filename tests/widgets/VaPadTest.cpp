// VaPad: value<->pixel mapping, keyboard steps and clamping, mouse placement, nearest word.
#include "TestMain.h"
#include "TestPaths.h"

#include "widgets/VaPad.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace moodsteer::widgets;

class VaPadTest : public QObject {
    Q_OBJECT
  private slots:
    void mapping_data() {
        QTest::addColumn<double>("v");
        QTest::addColumn<double>("a");
        QTest::addColumn<QPointF>("pixel");
        // A plot 80 px square at (10, 20): 10 px per unit, arousal grows upwards.
        QTest::newRow("min corner") << 1.0 << 1.0 << QPointF(10, 100);
        QTest::newRow("max corner") << 9.0 << 9.0 << QPointF(90, 20);
        QTest::newRow("neutral") << 5.0 << 5.0 << QPointF(50, 60);
        QTest::newRow("sad-calm") << 3.0 << 2.0 << QPointF(30, 90);
        QTest::newRow("tense") << 2.5 << 8.5 << QPointF(25, 25);
    }
    void mapping() {
        QFETCH(double, v);
        QFETCH(double, a);
        QFETCH(QPointF, pixel);
        const QRectF plot(10, 20, 80, 80);
        const QPointF px = VaPad::valueToPixel(v, a, plot);
        QCOMPARE(px, pixel);
        const QPointF back = VaPad::pixelToValue(px, plot);
        QVERIFY(qAbs(back.x() - v) < 1e-12 && qAbs(back.y() - a) < 1e-12);
    }
    void pixelsOutsideAreClamped() {
        const QRectF plot(0, 0, 80, 80);
        QCOMPARE(VaPad::pixelToValue({-50, 500}, plot), QPointF(1, 1));
        QCOMPARE(VaPad::pixelToValue({500, -50}, plot), QPointF(9, 9));
    }

    void keyboard_data() {
        QTest::addColumn<QPointF>("start");
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("modifiers");
        QTest::addColumn<QPointF>("expected");
        QTest::newRow("right") << QPointF(5, 5) << int(Qt::Key_Right) << 0 << QPointF(5.1, 5);
        QTest::newRow("left") << QPointF(5, 5) << int(Qt::Key_Left) << 0 << QPointF(4.9, 5);
        QTest::newRow("up") << QPointF(5, 5) << int(Qt::Key_Up) << 0 << QPointF(5, 5.1);
        QTest::newRow("down") << QPointF(5, 5) << int(Qt::Key_Down) << 0 << QPointF(5, 4.9);
        QTest::newRow("shift up") << QPointF(5, 5) << int(Qt::Key_Up) << int(Qt::ShiftModifier)
                                  << QPointF(5, 6);
        QTest::newRow("left edge") << QPointF(1, 3) << int(Qt::Key_Left) << 0 << QPointF(1, 3);
        QTest::newRow("top edge") << QPointF(2, 8.5) << int(Qt::Key_Up) << int(Qt::ShiftModifier)
                                  << QPointF(2, 9);
        QTest::newRow("home") << QPointF(8, 2) << int(Qt::Key_Home) << 0 << QPointF(5, 5);
    }
    void keyboard() {
        QFETCH(QPointF, start);
        QFETCH(int, key);
        QFETCH(int, modifiers);
        QFETCH(QPointF, expected);
        VaPad pad;
        pad.setTarget(start.x(), start.y());
        QSignalSpy spy(&pad, &VaPad::targetChanged);
        QTest::keyClick(&pad, Qt::Key(key), Qt::KeyboardModifiers(modifiers));
        QVERIFY(qAbs(pad.valence() - expected.x()) < 1e-9);
        QVERIFY(qAbs(pad.arousal() - expected.y()) < 1e-9);
        QCOMPARE(spy.count(), start == expected ? 0 : 1);
    }

    void mouseSetsTarget() {
        VaPad pad;
        pad.resize(300, 300);
        pad.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pad));
        QSignalSpy spy(&pad, &VaPad::targetChanged);
        const QPointF at = VaPad::valueToPixel(7.0, 3.0, pad.plotRect());
        QTest::mouseClick(&pad, Qt::LeftButton, {}, at.toPoint());
        QCOMPARE(spy.count(), 1);
        const double unitPx = pad.plotRect().width() / 8;
        QVERIFY2(qAbs(pad.valence() - 7.0) <= 1 / unitPx && qAbs(pad.arousal() - 3.0) <= 1 / unitPx,
                 qPrintable(QString("%1 %2").arg(pad.valence()).arg(pad.arousal())));
        QVERIFY(pad.hasFocus());
    }

    void nearestWordFollowsTarget() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("words.csv");
        std::ofstream(csv.toStdString()) << "word,valence,arousal,valence_sd\n"
                                            "joyful,8.5,7.0,1\ncalm,7.0,2.0,1\nsad,2.0,2.5,1\n"
                                            "angry,2.0,8.0,1\n";
        VaPad pad;
        QSignalSpy spy(&pad, &VaPad::nearestWordChanged);
        pad.setWords(VaWordList::fromCsv(csv));
        QCOMPARE(pad.words().words().size(), 4);
        pad.setTarget(2.2, 7.5);
        QCOMPARE(pad.nearestWord(), QString("angry"));
        pad.setTarget(6.5, 2.5);
        QCOMPARE(pad.nearestWord(), QString("calm"));
        QCOMPARE(spy.last().at(0).toString(), QString("calm"));
        const auto near = pad.words().nearest(8, 7, 2);
        QCOMPARE(near.size(), 2);
        QCOMPARE(near[0].word, QString("joyful"));
    }

    void badWordListsAreReported_data() {
        QTest::addColumn<QString>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("header") << "word,val,aro\nx,1,2\n"
                                << "header";
        QTest::newRow("range") << "word,valence,arousal\nx,10,2\n"
                               << "line 2";
        QTest::newRow("number") << "word,valence,arousal\nx,5,abc\n"
                                << "line 2";
        QTest::newRow("empty") << "word,valence,arousal\n"
                               << "no words";
    }
    void badWordListsAreReported() {
        QFETCH(QString, content);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString csv = dir.filePath("bad.csv");
        std::ofstream(csv.toStdString()) << content.toStdString();
        try {
            VaWordList::fromCsv(csv);
            QFAIL("must throw");
        } catch (const std::runtime_error& e) {
            const QString what = e.what();
            QVERIFY2(what.contains("bad.csv") && what.contains(expected), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, VaWordList::fromCsv(dir.filePath("none.csv")));
    }

    void realWordListLoads() {
        const QString path = VaWordList::defaultPath();
        if (!QFileInfo::exists(path))
            QSKIP(qPrintable("*** word list not found at " + path + " ***"));
        const VaWordList list = VaWordList::fromCsv(path);
        QVERIFY(list.words().size() > 4000);
        const auto happy = list.nearest(8.5, 7.5, 5);
        QCOMPARE(happy.size(), 5);
        for (const auto& w : happy)
            QVERIFY(w.valence > 7.0 && w.arousal > 6.0);
    }
};

MOODSTEER_QTEST_SUITE(VaPadTest);
#include "VaPadTest.moc"
