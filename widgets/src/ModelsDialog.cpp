#include "widgets/ModelsDialog.h"

#include "core/engine/MusicEngine.h"
#include "core/hub/HubCache.h"
#include "core/hub/LocalModelList.h"
#include "core/hub/ModelCatalogue.h"
#include "core/hub/RepoRef.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QDirIterator>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <map>

namespace moodsteer::widgets {
namespace {

enum Column { Id, Status, Size, Revision, Licence, Folder, Columns };

QString bytesText(double b) {
    if (b <= 0) return "";
    return b >= 1e9 ? QString::number(b / 1e9, 'f', 2) + " GB"
                    : QString::number(b / 1e6, 'f', 1) + " MB";
}

double folderBytes(const QString& folder) {
    double n = 0;
    QDirIterator it(folder, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        n += static_cast<double>(it.fileInfo().size()); // follows the snapshot's links
    }
    return n;
}

} // namespace

ModelsDialog::ModelsDialog(const HubSettings& settings, QWidget* parent)
    : QDialog(parent), settings_(settings) {
    setWindowTitle(tr("Models"));
    confirm = [this](const QString& q) {
        return QMessageBox::question(this, tr("Remove model"), q) == QMessageBox::Yes;
    };
    table_ = new QTableWidget(0, Columns, this);
    table_->setHorizontalHeaderLabels(
        {tr("Model"), tr("Status"), tr("Size"), tr("Revision"), tr("Licence"), tr("Folder")});
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();

    repo_ = new QLineEdit(this);
    repo_->setPlaceholderText(tr("any repo id, e.g. facebook/musicgen-small or org/name@revision"));
    download_ = new QPushButton(tr("&Download"), this);
    cancel_ = new QPushButton(tr("&Cancel download"), this);
    remove_ = new QPushButton(tr("&Remove from disk…"), this);
    use_ = new QPushButton(tr("&Use this model"), this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progressText_ = new QLabel(this);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    auto* cacheLine =
        new QLabel(tr("Hugging Face cache: %1%2")
                       .arg(QString::fromStdString(settings_.cacheRoot),
                            settings_.offline ? tr(" (offline: HF_HUB_OFFLINE=1)") : ""),
                   this);
    cacheLine->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* fetchRow = new QHBoxLayout;
    fetchRow->addWidget(repo_, 1);
    fetchRow->addWidget(download_);
    fetchRow->addWidget(cancel_);
    auto* actions = new QHBoxLayout;
    actions->addWidget(use_);
    actions->addWidget(remove_);
    actions->addStretch(1);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(cacheLine);
    layout->addWidget(table_, 1);
    layout->addLayout(actions);
    layout->addLayout(fetchRow);
    layout->addWidget(progress_);
    layout->addWidget(progressText_);
    layout->addWidget(status_);
    layout->addWidget(close);

    tick_ = new QTimer(this);
    tick_->setInterval(100);
    connect(tick_, &QTimer::timeout, this, &ModelsDialog::onTick);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(download_, &QPushButton::clicked, this, [this] {
        download(repo_->text().trimmed().isEmpty() ? selectedId() : repo_->text().trimmed());
    });
    connect(cancel_, &QPushButton::clicked, this, &ModelsDialog::cancelDownload);
    connect(remove_, &QPushButton::clicked, this, [this] { removeModel(selectedId()); });
    connect(use_, &QPushButton::clicked, this, [this] {
        const int row = table_->currentRow();
        if (row < 0) return;
        const auto id = table_->item(row, Id)->text();
        emit modelChosen(id == "embedded" ? QString() : table_->item(row, Folder)->text());
    });
    connect(table_, &QTableWidget::itemSelectionChanged, this, &ModelsDialog::updateButtons);
    refresh();
    resize(900, 420);
}

ModelsDialog::~ModelsDialog() {
    cancelFlag_ = true;
    if (worker_.joinable()) worker_.join();
}

void ModelsDialog::refresh() {
    const QString keep = selectedId();
    table_->setRowCount(0);
    auto addRow = [&](const QStringList& cells) {
        const int row = table_->rowCount();
        table_->insertRow(row);
        for (int c = 0; c < Columns; ++c)
            table_->setItem(row, c, new QTableWidgetItem(cells.value(c)));
    };
    HubCache cache(settings_.cacheRoot);
    std::map<std::string, CachedRepo> cached;
    for (auto& r : cache.list())
        cached[r.repoId] = r;
    auto cachedCells = [&](const std::string& id, const QString& licence) {
        const auto& r = cached.at(id);
        const auto main =
            r.refs.count("main") ? r.refs.at("main") : (r.commits.empty() ? "" : r.commits.back());
        const bool complete =
            !main.empty() && cache.missingFiles(id, main, filesFor(id).required).empty();
        QString status = complete ? tr("installed") : tr("not downloaded");
        if (!complete && r.incompleteBytes > 0)
            status =
                tr("partly downloaded (%1): Download resumes").arg(bytesText(r.incompleteBytes));
        return QStringList{QString::fromStdString(id),
                           status,
                           bytesText(r.blobBytes),
                           QString::fromStdString(main.substr(0, 10)),
                           licence,
                           complete ? QString::fromStdString(cache.snapshotFolder(id, main)) : ""};
    };
    for (const auto& e : modelCatalogue()) {
        const auto licence = QString::fromStdString(e.licence);
        if (e.id == "embedded") {
            const auto folder = QString::fromStdString(MusicEngine::embeddedModelFolder());
            addRow({"embedded", folder.isEmpty() ? tr("missing") : tr("installed (default)"),
                    bytesText(folder.isEmpty() ? 0 : folderBytes(folder)), "", licence, folder});
        } else if (!e.supported) {
            addRow({QString::fromStdString(e.id),
                    tr("unsupported: %1").arg(QString::fromStdString(e.reason)), "", "", licence,
                    ""});
        } else if (cached.count(e.id)) {
            addRow(cachedCells(e.id, licence));
        } else {
            addRow({QString::fromStdString(e.id),
                    tr("not downloaded (~%1)").arg(bytesText(e.downloadGB * 1e9)), "", "", licence,
                    ""});
        }
    }
    for (const auto& [id, r] : cached)
        if (!findCatalogueEntry(id)) addRow(cachedCells(id, ""));
    try {
        for (const auto& f : LocalModelList().folders()) {
            const auto folder = QString::fromStdString(f);
            addRow({folder, tr("local folder"), bytesText(folderBytes(folder)), "", "", folder});
        }
    } catch (const std::exception& e) {
        status_->setText(QString::fromStdString(e.what()));
    }
    table_->resizeColumnsToContents();
    if (const int row = rowOf(keep); row >= 0) table_->selectRow(row);
    updateButtons();
}

int ModelsDialog::rowOf(const QString& id) const {
    for (int r = 0; r < table_->rowCount(); ++r)
        if (table_->item(r, Id)->text() == id) return r;
    return -1;
}

QString ModelsDialog::statusOf(const QString& id) const {
    const int r = rowOf(id);
    return r < 0 ? QString() : table_->item(r, Status)->text();
}

QString ModelsDialog::statusLine() const {
    return status_->text();
}
QString ModelsDialog::progressText() const {
    return progressText_->text();
}

QString ModelsDialog::selectedId() const {
    const int row = table_->currentRow();
    return row < 0 ? QString() : table_->item(row, Id)->text();
}

void ModelsDialog::updateButtons() {
    const bool busy = isDownloading();
    const int row = table_->currentRow();
    const QString status = row < 0 ? QString() : table_->item(row, Status)->text();
    const QString id = selectedId();
    const bool hubRepo = RepoRef::looksLikeRepoId(id.toStdString());
    download_->setEnabled(!busy && !settings_.offline);
    cancel_->setEnabled(busy);
    remove_->setEnabled(!busy && row >= 0 && hubRepo && !table_->item(row, Size)->text().isEmpty());
    use_->setEnabled(row >= 0 && (status.startsWith("installed") || status == tr("local folder")));
}

bool ModelsDialog::download(const QString& spec) {
    if (isDownloading()) {
        status_->setText(tr("A download is already running."));
        return false;
    }
    if (worker_.joinable()) worker_.join();
    RepoRef ref;
    try {
        ref = RepoRef::parse(spec.toStdString());
    } catch (const std::invalid_argument& e) {
        status_->setText(QString::fromStdString(e.what()));
        return false;
    }
    if (const auto* e = findCatalogueEntry(ref.id); e && !e->supported) {
        status_->setText(
            tr("%1 is not supported: %2")
                .arg(QString::fromStdString(ref.id), QString::fromStdString(e->reason)));
        return false;
    }
    cancelFlag_ = false;
    finished_ = false;
    {
        std::lock_guard lock(mutex_);
        latest_.reset();
        result_.reset();
        error_.clear();
    }
    progress_->setValue(0);
    progressText_->setText(tr("connecting to %1…").arg(QString::fromStdString(settings_.endpoint)));
    status_->setText(tr("Downloading %1").arg(spec));
    worker_ = std::thread([this, ref] {
        try {
            auto r = HubDownloader(settings_).pull(
                ref, filesFor(ref.id),
                [this](const DownloadProgress& p) {
                    std::lock_guard lock(mutex_);
                    latest_ = p;
                },
                &cancelFlag_);
            std::lock_guard lock(mutex_);
            result_ = r;
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex_);
            error_ = QString::fromStdString(e.what());
        }
        finished_ = true;
    });
    tick_->start();
    updateButtons();
    return true;
}

void ModelsDialog::cancelDownload() {
    cancelFlag_ = true;
}

void ModelsDialog::onTick() {
    std::optional<DownloadProgress> p;
    {
        std::lock_guard lock(mutex_);
        p = latest_;
    }
    if (p && p->total > 0) {
        progress_->setValue(static_cast<int>(1000.0 * p->bytes / p->total));
        QString left = p->secondsLeft >= 0 ? tr(", %1 s left").arg(qRound(p->secondsLeft)) : "";
        progressText_->setText(tr("%1: %2 of %3, %4 MB/s%5")
                                   .arg(QString::fromStdString(p->file), bytesText(p->bytes),
                                        bytesText(p->total),
                                        QString::number(p->bytesPerSecond / 1e6, 'f', 1), left));
    }
    if (finished_) finishDownload();
}

void ModelsDialog::finishDownload() {
    tick_->stop();
    if (worker_.joinable()) worker_.join();
    QString folder, error;
    {
        std::lock_guard lock(mutex_);
        error = error_;
        if (result_) folder = QString::fromStdString(result_->folder);
        if (result_)
            status_->setText(tr("%1 @%2 is ready in %3")
                                 .arg(QString::fromStdString(result_->repoId),
                                      QString::fromStdString(result_->commit.substr(0, 10)),
                                      folder));
    }
    if (!error.isEmpty()) status_->setText(error);
    if (folder.isEmpty() == false) progress_->setValue(1000);
    refresh();
    emit downloadFinished(folder, error);
}

bool ModelsDialog::removeModel(const QString& repoId) {
    if (isDownloading() || !RepoRef::looksLikeRepoId(repoId.toStdString())) return false;
    HubCache cache(settings_.cacheRoot);
    const auto found = cache.find(repoId.toStdString());
    if (!found) return false;
    const QString question =
        tr("Delete %1 (%2) from the Hugging Face cache %3? Python programs using the same cache "
           "will have to download it again.")
            .arg(repoId, bytesText(found->blobBytes + found->incompleteBytes),
                 QString::fromStdString(settings_.cacheRoot));
    if (!confirm || !confirm(question)) return false;
    try {
        cache.remove(repoId.toStdString());
        status_->setText(tr("Removed %1").arg(repoId));
    } catch (const std::exception& e) {
        status_->setText(QString::fromStdString(e.what()));
        return false;
    }
    refresh();
    return true;
}

} // namespace moodsteer::widgets
