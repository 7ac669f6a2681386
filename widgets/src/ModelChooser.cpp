#include "widgets/ModelChooser.h"

#include "core/engine/MusicEngine.h"
#include "core/engine/WeightPrecisions.h"
#include "core/hub/HubCache.h"
#include "core/hub/LocalModelList.h"
#include "core/hub/ModelCatalogue.h"

#include <QComboBox>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <exception>

namespace moodsteer::widgets {

ModelChooser::ModelChooser(QWidget* parent)
    : QWidget(parent), settings_(HubSettings::fromEnvironment()),
      localListFile_(QString::fromStdString(LocalModelList::defaultFile())) {
    models_ = new QComboBox(this);
    models_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    models_->setMinimumContentsLength(16);
    models_->setToolTip(tr("The model to generate with: the embedded model, models in the "
                           "Hugging Face cache (File > Models to download) or added folders"));
    precision_ = new QComboBox(this);
    for (const auto& p : weightPrecisions())
        precision_->addItem(QString::fromStdString(p));
    precision_->setToolTip(tr("Weight precision of the language model: f32 is the reference, "
                              "bf16 and int8 are faster and smaller, with slightly different "
                              "clips; int4 is the fastest (half of int8's bytes) and the least "
                              "exact"));
    load_ = new QPushButton(tr("Load"), this);
    load_->setToolTip(tr("Load the chosen model (waits for running engine jobs)"));
    unload_ = new QPushButton(tr("Unload"), this);
    unload_->setToolTip(tr("Free the model's memory"));
    unload_->setEnabled(false);
    state_ = new QLabel(this);
    state_->setWordWrap(true);

    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(models_, 1);
    row->addWidget(precision_);
    row->addWidget(load_);
    row->addWidget(unload_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(state_);

    connect(load_, &QPushButton::clicked, this,
            [this] { emit loadRequested(currentFolder(), precision()); });
    connect(unload_, &QPushButton::clicked, this, &ModelChooser::unloadRequested);
    refresh();
}

QList<ModelChoice> ModelChooser::discover(const HubSettings& settings,
                                          const QString& localListFile) {
    QList<ModelChoice> out;
    if (!MusicEngine::embeddedModelFolder().empty()) out.append({tr("embedded (default)"), {}});
    try {
        HubCache cache(settings.cacheRoot);
        for (const auto& repo : cache.list()) {
            const auto* entry = findCatalogueEntry(repo.repoId);
            if (entry && !entry->supported) continue;
            if (entry && entry->kind != "musicgen") continue; // MERT feeds the emotion head
            const std::string commit = repo.refs.count("main")
                                           ? repo.refs.at("main")
                                           : (repo.commits.empty() ? "" : repo.commits.back());
            if (commit.empty() ||
                !cache.missingFiles(repo.repoId, commit, filesFor(repo.repoId).required).empty())
                continue; // partly downloaded: the Models dialog resumes it
            out.append({QString::fromStdString(repo.repoId),
                        QString::fromStdString(cache.snapshotFolder(repo.repoId, commit))});
        }
    } catch (const std::exception&) {
        // An unreadable cache lists nothing; the Models dialog says why.
    }
    try {
        for (const auto& f : LocalModelList(localListFile.toStdString()).folders())
            out.append(
                {QDir::toNativeSeparators(QString::fromStdString(f)), QString::fromStdString(f)});
    } catch (const std::exception&) {
    }
    return out;
}

void ModelChooser::setSources(const HubSettings& settings, const QString& localListFile) {
    settings_ = settings;
    localListFile_ = localListFile;
    refresh();
}

void ModelChooser::refresh() {
    const QString keep = models_->count() > 0 ? currentFolder() : QString();
    const QSignalBlocker block(models_);
    models_->clear();
    for (const ModelChoice& c : discover(settings_, localListFile_))
        models_->addItem(c.label, c.folder);
    setCurrentFolder(keep);
}

QList<ModelChoice> ModelChooser::choices() const {
    QList<ModelChoice> out;
    for (int i = 0; i < models_->count(); ++i)
        out.append({models_->itemText(i), models_->itemData(i).toString()});
    return out;
}

void ModelChooser::setCurrentFolder(const QString& folder) {
    int i = models_->findData(folder);
    if (i < 0) {
        // Settings may name a folder that is not (or no longer) listed: show it as it is.
        models_->addItem(folder.isEmpty() ? tr("embedded (missing)") : folder, folder);
        i = models_->count() - 1;
    }
    models_->setCurrentIndex(i);
}

QString ModelChooser::currentFolder() const {
    return models_->currentIndex() < 0 ? QString() : models_->currentData().toString();
}

void ModelChooser::setPrecision(const QString& precision) {
    const int i = precision_->findText(precision);
    precision_->setCurrentIndex(i < 0 ? 0 : i);
}

QString ModelChooser::precision() const {
    return precision_->currentText();
}

void ModelChooser::setLoadedState(bool loaded, const QString& text) {
    unload_->setEnabled(loaded);
    state_->setText(text);
}

QString ModelChooser::stateText() const {
    return state_->text();
}

} // namespace moodsteer::widgets
