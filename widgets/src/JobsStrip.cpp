#include "widgets/JobsStrip.h"

#include "widgets/GeneratePanel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <utility>

namespace moodsteer::widgets {

JobsStrip::JobsStrip(EngineClient* engine, QWidget* parent) : QWidget(parent), engine_(engine) {
    setObjectName("jobsStrip");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(2);
    auto* heading = new QLabel(tr("<b>Engine jobs</b>"), this);
    layout->addWidget(heading);
    rowsLayout_ = new QVBoxLayout;
    rowsLayout_->setSpacing(1);
    layout->addLayout(rowsLayout_);
    connect(engine_, &EngineClient::jobQueued, this, &JobsStrip::addRow);
    connect(engine_, &EngineClient::jobStarted, this, &JobsStrip::updateRow);
    refresh_.setSingleShot(true);
    refresh_.setInterval(33);
    connect(&refresh_, &QTimer::timeout, this, &JobsStrip::refreshMarked);
    connect(engine_, &EngineClient::jobProgress, this, [this](JobId id) {
        marked_.insert(id);
        if (!refresh_.isActive()) refresh_.start();
    });
    connect(engine_, &EngineClient::jobFinished, this, [this](JobId id) { removeRow(id); });
    connect(engine_, &EngineClient::jobFailed, this, [this](JobId id) { removeRow(id); });
    for (const EngineJobInfo& job : engine_->jobs())
        addRow(job);
    setVisible(!rows_.isEmpty());
}

QString JobsStrip::describe(const EngineJobInfo& job) {
    if (job.cancelRequested) return tr("cancelling…");
    if (job.state == EngineJobInfo::State::Queued) return tr("queued");
    const JobProgress& p = job.progress;
    QStringList parts;
    if (!p.message.isEmpty()) parts << p.message;
    if (p.total > 0) {
        if (p.message.isEmpty())
            parts << tr("%1 %").arg(int(std::floor(100.0 * p.fraction())));
        else
            parts << tr("%1 / %2").arg(p.done).arg(p.total);
    }
    if (p.etaSeconds >= 0 && p.done > 0) parts << GeneratePanel::timeLeft(p.etaSeconds);
    return parts.isEmpty() ? tr("running") : parts.join(QString::fromUtf8(" · "));
}

QList<JobId> JobsStrip::shownJobs() const {
    return order_;
}

QLabel* JobsStrip::titleLabel(JobId id) const {
    return rows_.value(id).title;
}

QLabel* JobsStrip::detailLabel(JobId id) const {
    return rows_.value(id).detail;
}

QProgressBar* JobsStrip::progressBar(JobId id) const {
    return rows_.value(id).bar;
}

QToolButton* JobsStrip::cancelButton(JobId id) const {
    return rows_.value(id).cancel;
}

void JobsStrip::addRow(const EngineJobInfo& job) {
    if (rows_.contains(job.id)) return;
    Row row;
    row.widget = new QWidget(this);
    row.title = new QLabel(job.title, row.widget);
    row.title->setToolTip(job.title);
    row.title->setMinimumWidth(120);
    row.bar = new QProgressBar(row.widget);
    row.bar->setTextVisible(false);
    row.bar->setFixedWidth(140);
    row.bar->setMaximumHeight(12);
    row.detail = new QLabel(row.widget);
    row.detail->setMinimumWidth(140);
    row.cancel = new QToolButton(row.widget);
    row.cancel->setText(tr("Cancel"));
    row.cancel->setToolTip(tr("Cancel this job (other jobs go on)"));
    auto* h = new QHBoxLayout(row.widget);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(row.title, 1);
    h->addWidget(row.bar);
    h->addWidget(row.detail);
    h->addWidget(row.cancel);
    const JobId id = job.id;
    connect(row.cancel, &QToolButton::clicked, this, [this, id] {
        engine_->cancel(id);
        updateRow(id); // a running job shows "cancelling…" until it stops
    });
    rows_.insert(id, row);
    order_.append(id);
    rowsLayout_->addWidget(row.widget);
    updateRow(id);
    show();
}

void JobsStrip::updateRow(JobId id) {
    const auto row = rows_.constFind(id);
    const auto job = engine_->job(id);
    if (row == rows_.constEnd() || !job) return;
    const double f = job->progress.fraction();
    if (job->state == EngineJobInfo::State::Queued) {
        row->bar->setRange(0, 1);
        row->bar->setValue(0);
    } else if (f < 0) {
        row->bar->setRange(0, 0); // busy indicator: the total is unknown
    } else {
        row->bar->setRange(0, 1000);
        row->bar->setValue(int(std::lround(1000 * f)));
    }
    row->detail->setText(describe(*job));
    row->cancel->setEnabled(!job->cancelRequested);
}

void JobsStrip::refreshMarked() {
    const QSet<JobId> marked = std::exchange(marked_, {});
    for (JobId id : marked)
        updateRow(id);
}

void JobsStrip::removeRow(JobId id) {
    marked_.remove(id);
    const auto row = rows_.constFind(id);
    if (row == rows_.constEnd()) return;
    row->widget->deleteLater();
    rowsLayout_->removeWidget(row->widget);
    rows_.erase(row);
    order_.removeAll(id);
    if (rows_.isEmpty()) hide();
}

} // namespace moodsteer::widgets
