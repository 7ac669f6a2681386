#include "widgets/AboutDialog.h"

#include "core/io/Version.h"
#include "core/playback/AudioPlayer.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace moodsteer::widgets {

QString AboutDialog::aboutHtml(const QString& modelSummary) {
    return tr("<h2>MoodSteer Studio %1</h2>"
              "<p>Music from text and emotion: a MusicGen-style generator with continuous "
              "valence–arousal control (LARA-Gen) and activation steering.</p>"
              "<p><b>Model:</b> %2</p>"
              "<p><b>Built with:</b> Qt %3 · %4 · libsndfile · LibTorch (engine)</p>"
              "<p>Emotion words: Glasgow Norms (CC BY 4.0).</p>")
        .arg(QString::fromStdString(engineVersion()),
             modelSummary.isEmpty() ? tr("none loaded") : modelSummary.toHtmlEscaped(),
             QString::fromLatin1(qVersion()),
             QString::fromStdString(playbackBackendVersion()).toHtmlEscaped());
}

AboutDialog::AboutDialog(const QString& modelSummary, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("About MoodSteer Studio"));
    auto* icon = new QLabel(this);
    icon->setPixmap(QApplication::windowIcon().pixmap(96, 96));
    icon->setAlignment(Qt::AlignTop);
    auto* text = new QLabel(aboutHtml(modelSummary), this);
    text->setWordWrap(true);
    text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    text->setMinimumWidth(380);
    auto* row = new QHBoxLayout;
    row->addWidget(icon);
    row->addWidget(text, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(row);
    layout->addWidget(buttons);
}

} // namespace moodsteer::widgets
