#include "widgets/SettingsDialog.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace moodsteer::widgets {

SettingsDialog::SettingsDialog(const StudioSettings& current, const QStringList& devices,
                               const QString& embeddedFolder, QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Settings"));
    embedded_ = new QRadioButton(
        embeddedFolder.isEmpty()
            ? tr("Embedded model (not installed)")
            : tr("Embedded model (%1)").arg(QDir::toNativeSeparators(embeddedFolder)),
        this);
    embedded_->setEnabled(!embeddedFolder.isEmpty());
    custom_ = new QRadioButton(tr("MusicGen folder (config.json, model.safetensors, spiece.model)"),
                               this);
    folder_ = new QLineEdit(this);
    folder_->setMinimumWidth(360);
    auto* browseModel = new QPushButton(tr("Browse…"), this);
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(folder_, 1);
    modelRow->addWidget(browseModel);
    threads_ = new QSpinBox(this);
    threads_->setRange(1, std::max(1, QThread::idealThreadCount()) * 2);
    threads_->setToolTip(tr("Threads the engine uses for matrix products"));
    device_ = new QComboBox(this);
    device_->addItems(devices.isEmpty() ? QStringList{tr("Default output")} : devices);
    output_ = new QLineEdit(this);
    auto* browseOut = new QPushButton(tr("Browse…"), this);
    auto* outRow = new QHBoxLayout;
    outRow->addWidget(output_, 1);
    outRow->addWidget(browseOut);
    error_ = new QLabel(this);
    error_->setWordWrap(true);
    error_->setStyleSheet("color: #b00020;");

    auto* form = new QFormLayout;
    form->addRow(tr("Model"), embedded_);
    form->addRow(QString(), custom_);
    form->addRow(QString(), modelRow);
    form->addRow(tr("Threads"), threads_);
    form->addRow(tr("Audio output"), device_);
    form->addRow(tr("Export folder"), outRow);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(error_);
    layout->addWidget(buttons);

    auto* group = new QButtonGroup(this);
    group->addButton(embedded_);
    group->addButton(custom_);
    connect(custom_, &QRadioButton::toggled, folder_, &QLineEdit::setEnabled);
    connect(custom_, &QRadioButton::toggled, browseModel, &QPushButton::setEnabled);
    connect(browseModel, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Model folder"), folder_->text());
        if (!dir.isEmpty()) folder_->setText(dir);
    });
    connect(browseOut, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Export folder"), output_->text());
        if (!dir.isEmpty()) output_->setText(dir);
    });
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    setSettings(current);
}

void SettingsDialog::setSettings(const StudioSettings& s) {
    const bool custom = !s.modelFolder.isEmpty() || !embedded_->isEnabled();
    (custom ? custom_ : embedded_)->setChecked(true);
    folder_->setEnabled(custom);
    folder_->setText(s.modelFolder);
    threads_->setValue(s.threads);
    const int row = s.audioDevice.isEmpty() ? 0 : device_->findText(s.audioDevice);
    device_->setCurrentIndex(std::max(0, row));
    output_->setText(s.outputFolder);
}

StudioSettings SettingsDialog::settings() const {
    StudioSettings s;
    s.modelFolder = custom_->isChecked() ? folder_->text().trimmed() : QString();
    s.threads = threads_->value();
    s.audioDevice = device_->currentIndex() > 0 ? device_->currentText() : QString();
    s.outputFolder = output_->text().trimmed();
    return s;
}

QString SettingsDialog::checkModelFolder(const QString& folder) {
    if (folder.isEmpty()) return tr("Choose a model folder.");
    const QDir dir(folder);
    if (!dir.exists()) return tr("%1 does not exist.").arg(folder);
    if (!QFileInfo::exists(dir.filePath("config.json")))
        return tr("%1 has no config.json: not a MusicGen model folder.").arg(folder);
    // One weights file, or shards with their index (as musicgen-large is stored).
    if (!QFileInfo::exists(dir.filePath("model.safetensors")) &&
        !QFileInfo::exists(dir.filePath("model.safetensors.index.json")))
        return tr("%1 has no model.safetensors: not a MusicGen model folder.").arg(folder);
    return {};
}

QString SettingsDialog::errorText() const {
    return error_->text();
}

void SettingsDialog::accept() {
    const StudioSettings s = settings();
    if (custom_->isChecked()) {
        const QString why = checkModelFolder(s.modelFolder);
        if (!why.isEmpty()) {
            error_->setText(why);
            return;
        }
    }
    error_->clear();
    QDialog::accept();
}

} // namespace moodsteer::widgets
