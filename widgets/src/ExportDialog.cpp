#include "widgets/ExportDialog.h"

#include "core/io/AtomicWrite.h"
#include "core/synth/MidiWriter.h"

#include "core/library/ClipLibrary.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace moodsteer::widgets {

ExportDialog::ExportDialog(const QString& folder, const QString& clipName, AudioBuffer audio,
                           Recipe recipe, QWidget* parent, std::optional<CodeGrid> midiCodes)
    : QDialog(parent), audio_(std::move(audio)), recipe_(std::move(recipe)),
      midiCodes_(std::move(midiCodes)), title_(clipName) {
    setWindowTitle(tr("Export clip"));
    confirm_ = [this](const QString& q) {
        return QMessageBox::question(this, windowTitle(), q) == QMessageBox::Yes;
    };
    format_ = new QComboBox(this);
    format_->addItem(tr("WAV (16-bit)"), "wav");
    format_->addItem(tr("FLAC (lossless)"), "flac");
    format_->addItem(tr("OGG Vorbis"), "ogg");
    if (midiCodes_) format_->addItem(tr("MIDI (the clip's notes)"), "mid");
    path_ = new QLineEdit(this);
    path_->setMinimumWidth(420);
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* row = new QHBoxLayout;
    row->addWidget(path_, 1);
    row->addWidget(browse);
    auto* note = new QLabel(tr("The recipe is written into the file's tags and into a "
                               "\"<name>.recipe.json\" file next to it."),
                            this);
    note->setWordWrap(true);
    error_ = new QLabel(this);
    error_->setWordWrap(true);
    error_->setStyleSheet("color: #b00020;");
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    auto* form = new QFormLayout;
    form->addRow(tr("Format"), format_);
    form->addRow(tr("File"), row);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(error_);
    layout->addWidget(buttons);

    setPath(uniquePath(folder, clipName, "wav"));
    connect(format_, &QComboBox::currentIndexChanged, this,
            [this] { path_->setText(withFormat(path_->text(), format())); });
    connect(browse, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(buttons, &QDialogButtonBox::accepted, this, &ExportDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ExportDialog::reject);
}

QString ExportDialog::withFormat(const QString& path, const QString& format) {
    const QFileInfo info(path);
    const QString suffix = info.suffix().toLower();
    QString base = path;
    if (formats().contains(suffix)) base.chop(suffix.size() + 1);
    return base + "." + format;
}

QString ExportDialog::safeFileName(const QString& name) {
    QString s = name.trimmed();
    s.replace(QRegularExpression(R"([/\\:*?"<>|\x00-\x1f])"), "_");
    while (s.startsWith('.'))
        s.remove(0, 1);
    if (s.size() > 80) s.truncate(80);
    return s.isEmpty() ? QStringLiteral("clip") : s;
}

QString ExportDialog::uniquePath(const QString& folder, const QString& name,
                                 const QString& format) {
    const QString base = QDir(folder).filePath(safeFileName(name));
    for (int n = 1;; ++n) {
        const QString candidate =
            (n == 1 ? base : QStringLiteral("%1 (%2)").arg(base).arg(n)) + "." + format;
        const QString sidecar =
            QString::fromStdString(ClipLibrary::sidecarPath(candidate.toStdString()));
        if (!QFileInfo::exists(candidate) && !QFileInfo::exists(sidecar)) return candidate;
    }
}

QString ExportDialog::path() const {
    return path_->text().trimmed();
}
void ExportDialog::setPath(const QString& path) {
    path_->setText(path);
}
QString ExportDialog::format() const {
    return format_->currentData().toString();
}
void ExportDialog::setFormat(const QString& format) {
    format_->setCurrentIndex(std::max(0, format_->findData(format)));
}
QString ExportDialog::errorText() const {
    return error_->text();
}
void ExportDialog::setConfirmer(std::function<bool(const QString&)> confirmer) {
    confirm_ = std::move(confirmer);
}

void ExportDialog::browse() {
    const QString file = QFileDialog::getSaveFileName(
        this, tr("Export clip"), path(),
        midiCodes_ ? tr("Audio or MIDI (*.wav *.flac *.ogg *.mid)")
                   : tr("Audio (*.wav *.flac *.ogg)"),
        nullptr,
        QFileDialog::DontConfirmOverwrite); // exportNow() asks, for the sidecar too
    if (file.isEmpty()) return;
    const QString suffix = QFileInfo(file).suffix().toLower();
    if (formats().contains(suffix)) setFormat(suffix);
    setPath(withFormat(file, format()));
}

bool ExportDialog::exportNow() {
    error_->clear();
    const QString file = withFormat(path(), format());
    setPath(file);
    if (QFileInfo(file).fileName().startsWith('.') ||
        QFileInfo(file).completeBaseName().isEmpty()) {
        error_->setText(tr("Please give the file a name."));
        return false;
    }
    const QString sidecar = QString::fromStdString(ClipLibrary::sidecarPath(file.toStdString()));
    bool overwrite = false;
    if (QFileInfo::exists(file) || QFileInfo::exists(sidecar)) {
        if (!confirm_(tr("%1 already exists. Replace it (and its recipe file)?")
                          .arg(QFileInfo::exists(file) ? file : sidecar))) {
            error_->setText(tr("Not exported: choose another name."));
            return false;
        }
        overwrite = true;
    }
    try {
        QDir().mkpath(QFileInfo(file).absolutePath());
        if (format() == "mid") {
            if (!midiCodes_) throw std::runtime_error("this clip has no symbolic codes for MIDI");
            // MIDI and its recipe as one transaction: both or neither.
            WriteTransaction t;
            t.stage(file.toStdString(),
                    [&](const std::string& tmp) { MidiWriter::write(tmp, *midiCodes_); });
            t.stageText(ClipLibrary::sidecarPath(file.toStdString()), recipe_.toJson() + "\n");
            t.commit();
        } else {
            ClipLibrary::exportClip(file.toStdString(), audio_, recipe_, title_.toStdString(),
                                    overwrite);
        }
    } catch (const std::exception& e) {
        error_->setText(tr("Export failed: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    return true;
}

void ExportDialog::accept() {
    if (exportNow()) QDialog::accept();
}

} // namespace moodsteer::widgets
