#include "widgets/GeneratePanel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace moodsteer::widgets {

GeneratePanel::GeneratePanel(QWidget* parent) : QWidget(parent) {
    generate_ = new QPushButton(tr("Generate"), this);
    generate_->setToolTip(tr("Generate a clip from the recipe (Ctrl+Enter)"));
    generate_->setDefault(true);
    QFont bold = generate_->font();
    bold.setBold(true);
    generate_->setFont(bold);
    generate_->setMinimumHeight(32);
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setToolTip(tr("Stop the running generation (Esc)"));
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setTextVisible(true);
    progress_->setFormat(QString());
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    auto* row = new QHBoxLayout;
    row->addWidget(generate_, 2);
    row->addWidget(cancel_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(progress_);
    layout->addWidget(status_);
    connect(generate_, &QPushButton::clicked, this, &GeneratePanel::generateClicked);
    connect(cancel_, &QPushButton::clicked, this, &GeneratePanel::cancelClicked);
    updateEnabled();
}

QString GeneratePanel::statusText() const {
    return status_->text();
}

void GeneratePanel::setModelReady(bool ready, const QString& status) {
    ready_ = ready;
    setStatus(status);
    if (!busy_) {
        progress_->setRange(0, 1);
        progress_->setValue(0);
        progress_->setFormat(QString());
    }
    updateEnabled();
}

void GeneratePanel::setModelLoading(const QString& status) {
    ready_ = false;
    setStatus(status);
    progress_->setRange(0, 0);
    progress_->setFormat(tr("loading the model…"));
    updateEnabled();
}

void GeneratePanel::setBusy(bool busy) {
    busy_ = busy;
    if (busy) {
        progress_->setRange(0, 0); // busy indicator until the first progress report
        progress_->setFormat(tr("starting…"));
    } else {
        progress_->setRange(0, 1);
        progress_->setValue(0);
        progress_->setFormat(QString());
    }
    updateEnabled();
}

void GeneratePanel::setProgress(const GenerationProgress& p) {
    if (p.totalSteps <= 0) return;
    progress_->setRange(0, p.totalSteps);
    progress_->setValue(p.step);
    progress_->setFormat(tr("step %1 / %2 · %3")
                             .arg(p.step)
                             .arg(p.totalSteps)
                             .arg(p.step > 0 ? timeLeft(p.etaSeconds) : tr("estimating…")));
}

void GeneratePanel::setStatus(const QString& text) {
    status_->setText(text);
}

QString GeneratePanel::timeLeft(double seconds) {
    const int s = static_cast<int>(std::ceil(std::max(0.0, seconds)));
    if (s < 60) return tr("%1 s left").arg(s);
    return tr("%1 min %2 s left").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

void GeneratePanel::updateEnabled() {
    generate_->setEnabled(ready_ && !busy_);
    cancel_->setEnabled(busy_);
}

} // namespace moodsteer::widgets
