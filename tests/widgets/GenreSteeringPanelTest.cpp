// GenreSteeringPanel: vector files -> genre choices; slider, layer and transition ->
// Recipe::steering values (constant, ramp, cross-fade); off or without vectors -> no steering.
#include "TestMain.h"

#include "widgets/GenreSteeringPanel.h"

#include "core/steering/SteeringVector.h"

#include <QFile>
#include <QGroupBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
void writeVector(const QString& path, const std::string& label, int layer,
                 const std::string& model = "fake") {
    SteeringVector v;
    v.modelId = model;
    v.layer = layer;
    v.pooling = "mean";
    v.label = label;
    v.labelSet = {"jazz", "rock", "classical"};
    v.method = "mean-difference";
    v.direction = {0.6f, 0.8f, 0.0f, 0.0f};
    v.signProjection = 1.0;
    v.save(path.toStdString());
}
} // namespace

class GenreSteeringPanelTest : public QObject {
    Q_OBJECT
  private slots:
    void loadsVectorsAndSkipsOthers() {
        QTemporaryDir dir;
        writeVector(dir.filePath("jazz.safetensors"), "jazz", 5);
        writeVector(dir.filePath("rock.safetensors"), "rock", 5);
        writeVector(dir.filePath("other.safetensors"), "pop", 5, "another-model");
        QFile junk(dir.filePath("junk.safetensors"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a safetensors file");
        junk.close();
        GenreSteeringPanel panel;
        QVERIFY(!panel.enableBox()->isEnabled()); // nothing to steer with yet
        QVERIFY(panel.steering().empty());
        QCOMPARE(panel.loadFolder(dir.path(), "fake"), 2);
        QCOMPARE(panel.vectors()[0].label, QString("jazz"));
        QCOMPARE(panel.vectors()[1].layer, 5);
        QVERIFY(panel.statusText().contains("junk.safetensors"));
        QVERIFY(panel.statusText().contains("other.safetensors"));
        QVERIFY(panel.enableBox()->isEnabled());
        // Off until the box is checked.
        QVERIFY(panel.steering().empty());
        QVERIFY(!panel.abButton()->isEnabled());
        panel.enableBox()->setChecked(true);
        QVERIFY(panel.abButton()->isEnabled());
        const auto s = panel.steering();
        QCOMPARE(s.size(), std::size_t(1));
        QCOMPARE(s[0].vectorPath, dir.filePath("jazz.safetensors").toStdString());
        QCOMPARE(s[0].label, std::string("jazz"));
        QCOMPARE(s[0].layer, -1); // auto without an explorer result: the vector's own layer
    }

    void sliderLayerAndShapeMapToRecipeSteering() {
        GenreSteeringPanel panel;
        panel.setVectors({{"jazz", "/v/jazz.safetensors", 4}, {"rock", "/v/rock.safetensors", 4}});
        panel.enableBox()->setChecked(true);
        panel.setTarget("rock");
        QSignalSpy changed(&panel, &GenreSteeringPanel::steeringChanged);
        panel.alphaSlider()->setValue(75); // hundredths
        QVERIFY(changed.count() >= 1);
        QCOMPARE(panel.alpha(), 0.75);

        // Constant.
        auto s = panel.steering();
        QCOMPARE(s.size(), std::size_t(1));
        QCOMPARE(s[0].label, std::string("rock"));
        QCOMPARE(s[0].vectorPath, std::string("/v/rock.safetensors"));
        QCOMPARE(s[0].alpha, 0.75);
        QCOMPARE(s[0].schedule, SteeringSchedule::Constant);

        // Layer: the explorer's best layer by default, an explicit choice wins.
        panel.setBestLayer(7);
        QCOMPARE(panel.steering()[0].layer, 7);
        panel.setLayer(2);
        QCOMPARE(panel.steering()[0].layer, 2);
        panel.setLayer(-1);

        // Ramp: the target ramps up.
        panel.setShape(GenreSteeringPanel::Shape::Ramp);
        s = panel.steering();
        QCOMPARE(s.size(), std::size_t(1));
        QCOMPARE(s[0].schedule, SteeringSchedule::RampUp);

        // Cross-fade: source ramps down while the target ramps up, same alpha and layer.
        panel.setShape(GenreSteeringPanel::Shape::CrossFade);
        panel.setSource("jazz");
        panel.alphaSlider()->setValue(-40); // negative: away from the genre
        s = panel.steering();
        QCOMPARE(s.size(), std::size_t(2));
        QCOMPARE(s[0].label, std::string("jazz"));
        QCOMPARE(s[0].schedule, SteeringSchedule::RampDown);
        QCOMPARE(s[1].label, std::string("rock"));
        QCOMPARE(s[1].schedule, SteeringSchedule::RampUp);
        QCOMPARE(s[0].alpha, -0.4);
        QCOMPARE(s[1].alpha, -0.4);
        QCOMPARE(s[0].layer, 7);
        // A cross-fade without a (different) source is a ramp of the target.
        panel.setSource("rock");
        QCOMPARE(panel.steering().size(), std::size_t(1));
        panel.setSource("");
        QCOMPARE(panel.steering()[0].schedule, SteeringSchedule::RampUp);

        // Turning it off clears the steering.
        panel.enableBox()->setChecked(false);
        QVERIFY(panel.steering().empty());
    }

    void abButtonAsksForTheComparison() {
        GenreSteeringPanel panel;
        panel.setVectors({{"jazz", "/v/jazz.safetensors", 4}});
        panel.enableBox()->setChecked(true);
        QSignalSpy ab(&panel, &GenreSteeringPanel::abRequested);
        QTest::mouseClick(panel.abButton(), Qt::LeftButton);
        QCOMPARE(ab.count(), 1);
    }
};

MOODSTEER_QTEST_SUITE(GenreSteeringPanelTest);
#include "GenreSteeringPanelTest.moc"
