#include "widgets/ClipLibraryPanel.h"

#include <QGridLayout>
#include <QHash>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPolygonF>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace moodsteer::widgets {

namespace {
enum Column { Name, Length, Target, Predicted, Seed };
QString va(std::optional<double> v, std::optional<double> a) {
    return v && a ? QStringLiteral("%1, %2").arg(*v, 0, 'f', 1).arg(*a, 0, 'f', 1) : QString("–");
}

/// A session: windowed generation that follows an emotion path.
bool isSession(const Recipe& r) {
    return r.windowSeconds > 0 && !r.emotionPath.empty();
}

/// The target: one point, or a path's first and last keyframes.
QString target(const Recipe& r) {
    if (r.emotionPath.empty()) return va(r.valence, r.arousal);
    const auto& k = r.emotionPath.keyframes();
    const QString first = va(k.front().valence, k.front().arousal);
    return k.size() == 1 ? first
                         : first + QStringLiteral(" → ") + va(k.back().valence, k.back().arousal);
}

/// ", arousal -2.0" for a shift of a variation batch; "" for none.
QString shiftText(const QString& name, double shift) {
    if (shift == 0) return {};
    return QStringLiteral(", %1 %2%3").arg(name, shift > 0 ? "+" : "").arg(shift, 0, 'f', 1);
}

QString length(double seconds, bool session) {
    if (!session) return QStringLiteral("%1 s").arg(seconds, 0, 'f', 1);
    const int s = static_cast<int>(std::lround(seconds));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

/// The session icon: an emotion path falling across a timeline (drawn, so it follows the
/// palette's size and needs no image file).
QIcon sessionIcon() {
    static const QIcon icon = [] {
        QPixmap pm(32, 32);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0x2b, 0x4c, 0x7e));
        p.drawRoundedRect(QRectF(1, 1, 30, 30), 6, 6);
        p.setPen(QPen(QColor(0xd6, 0x27, 0x28), 3, Qt::SolidLine, Qt::RoundCap));
        p.drawPolyline(QPolygonF({{6, 8}, {14, 12}, {22, 22}, {27, 23}}));
        p.setPen(QPen(QColor(0xf0, 0xf0, 0xf0), 2));
        for (int x : {8, 14, 20, 26})
            p.drawLine(QPointF(x, 26), QPointF(x, 28));
        return QIcon(pm);
    }();
    return icon;
}
} // namespace

ClipLibraryPanel::ClipLibraryPanel(ClipLibrary* library, QWidget* parent)
    : QWidget(parent), library_(library) {
    confirm_ = [this](const QString& q) {
        return QMessageBox::question(this, tr("Clip library"), q) == QMessageBox::Yes;
    };
    list_ = new QTreeWidget(this);
    list_->setHeaderLabels(
        {tr("Name"), tr("Length"), tr("Target v, a"), tr("Predicted"), tr("Seed")});
    list_->setRootIsDecorated(false);
    list_->setAlternatingRowColors(true);
    list_->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
    list_->header()->setSectionResizeMode(Name, QHeaderView::Stretch);
    list_->header()->setStretchLastSection(false);
    list_->setToolTip(tr("Double-click plays a clip; F2 renames it"));
    details_ = new QPlainTextEdit(this);
    details_->setReadOnly(true);
    details_->setPlaceholderText(tr("The selected clip's full recipe"));
    details_->setMaximumHeight(150);

    play_ = new QPushButton(tr("Play"), this);
    regenerate_ = new QPushButton(tr("Regenerate"), this);
    regenerate_->setToolTip(tr("Load the recipe (same seed) to generate this clip again"));
    rename_ = new QPushButton(tr("Rename"), this);
    delete_ = new QPushButton(tr("Delete"), this);
    export_ = new QPushButton(tr("Export…"), this);
    variations_ = new QPushButton(tr("Variations…"), this);
    variations_->setToolTip(tr("New pieces like this one: same structure and emotional shape, "
                               "with the novelty you choose (embedded-model clips and "
                               "imported MIDI)"));
    setA_ = new QPushButton(tr("Set A"), this);
    setB_ = new QPushButton(tr("Set B"), this);
    ab_ = new QPushButton(tr("A/B switch"), this);
    ab_->setToolTip(tr("Switch between clip A and clip B at the same position (Ctrl+B)"));
    ab_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    abLabel_ = new QLabel(this);
    abLabel_->setWordWrap(true);

    auto* buttons = new QGridLayout;
    buttons->addWidget(play_, 0, 0);
    buttons->addWidget(regenerate_, 0, 1);
    buttons->addWidget(export_, 0, 2);
    buttons->addWidget(rename_, 1, 0);
    buttons->addWidget(delete_, 1, 1);
    buttons->addWidget(variations_, 1, 2);
    buttons->addWidget(setA_, 2, 0);
    buttons->addWidget(setB_, 2, 1);
    buttons->addWidget(ab_, 2, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    if (!library_) {
        auto* warn = new QLabel(tr("The clip library is unavailable (no writable data "
                                   "folder); clips are not kept between sessions."),
                                this);
        warn->setWordWrap(true);
        layout->addWidget(warn);
    }
    layout->addWidget(list_, 1);
    layout->addWidget(details_);
    layout->addLayout(buttons);
    layout->addWidget(abLabel_);

    connect(list_, &QTreeWidget::itemSelectionChanged, this, [this] {
        showDetails();
        updateButtons();
        emit selectionChanged(selectedId());
    });
    connect(list_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        const QString id = item->data(Name, Qt::UserRole).toString();
        if (!id.isEmpty()) emit playRequested(id, false, true); // a takes group is not a clip
    });
    connect(list_, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item, int column) {
        if (!filling_ && column == Name && item->isSelected()) renameSelected(item->text(Name));
    });
    connect(play_, &QPushButton::clicked, this, [this] {
        if (!selectedId().isEmpty()) emit playRequested(selectedId(), false, true);
    });
    connect(regenerate_, &QPushButton::clicked, this, [this] {
        if (const LibraryClip* c = library_ ? library_->find(selectedId().toStdString()) : nullptr)
            emit regenerateRequested(c->recipe);
    });
    connect(export_, &QPushButton::clicked, this, [this] {
        if (!selectedId().isEmpty()) emit exportRequested(selectedId());
    });
    connect(variations_, &QPushButton::clicked, this, [this] {
        if (!selectedId().isEmpty()) emit variationsRequested(selectedId());
    });
    connect(rename_, &QPushButton::clicked, this, [this] {
        if (auto* item = list_->currentItem()) list_->editItem(item, Name);
    });
    connect(delete_, &QPushButton::clicked, this, &ClipLibraryPanel::deleteSelected);
    connect(setA_, &QPushButton::clicked, this, &ClipLibraryPanel::setSelectedAsA);
    connect(setB_, &QPushButton::clicked, this, &ClipLibraryPanel::setSelectedAsB);
    connect(ab_, &QPushButton::clicked, this, &ClipLibraryPanel::switchAb);
    refresh();
}

void ClipLibraryPanel::setConfirmer(std::function<bool(const QString&)> confirmer) {
    confirm_ = std::move(confirmer);
}

void ClipLibraryPanel::refresh() {
    const QString keep = selectedId();
    filling_ = true;
    list_->clear();
    if (library_) {
        // Other windows or processes may have added or removed clips since we last looked.
        try {
            library_->reload();
        } catch (const std::exception&) {
            // Keep showing what we have; the next change reports the error.
        }
        // Newest first: the clip just generated is at the top. The takes of one batch sit
        // under one row (their group), take 1 first, for A/B listening.
        QHash<QString, QTreeWidgetItem*> groups;
        const auto& clips = library_->clips();
        for (auto it = clips.rbegin(); it != clips.rend(); ++it) {
            QTreeWidgetItem* group = nullptr;
            if (it->recipe.variation >= 1) {
                const QString key = variationGroupKey(it->recipe);
                group = groups.value(key);
                if (!group) {
                    group = new QTreeWidgetItem(list_);
                    const LibraryClip* source = library_->find(it->recipe.variationOf);
                    const QString of = source ? QString::fromStdString(source->name)
                                              : QString::fromStdString(it->recipe.variationOf);
                    const Recipe& r = it->recipe;
                    group->setText(
                        Name, r.restoredTo > r.restoredFrom
                                  ? tr("%1 restored %2–%3 s")
                                        .arg(of)
                                        .arg(r.restoredFrom, 0, 'f', 1)
                                        .arg(r.restoredTo, 0, 'f', 1)
                                  : tr("%1 variations of %2 (similarity %3%4%5)")
                                        .arg(r.variations)
                                        .arg(of)
                                        .arg(r.variationSimilarity, 0, 'f', 2)
                                        .arg(shiftText(tr("valence"), r.variationShiftValence))
                                        .arg(shiftText(tr("arousal"), r.variationShiftArousal)));
                    group->setText(Length, length(it->seconds, false));
                    group->setFlags(Qt::ItemIsEnabled);
                    groups.insert(key, group);
                }
            } else if (it->recipe.takes > 1 && it->recipe.take >= 1) {
                const QString key = takeGroupKey(it->recipe);
                group = groups.value(key);
                if (!group) {
                    group = new QTreeWidgetItem(list_);
                    const QString prompt = QString::fromStdString(it->recipe.prompt).simplified();
                    group->setText(Name, tr("%1 takes: %2")
                                             .arg(it->recipe.takes)
                                             .arg(prompt.isEmpty() ? tr("(no prompt)") : prompt));
                    group->setText(Length, length(it->seconds, false));
                    group->setText(Target, target(it->recipe));
                    group->setFlags(Qt::ItemIsEnabled); // not a clip: nothing to select or edit
                    groups.insert(key, group);
                }
            }
            auto* item = group ? new QTreeWidgetItem(group) : new QTreeWidgetItem(list_);
            item->setFlags(item->flags() | Qt::ItemIsEditable);
            item->setData(Name, Qt::UserRole, QString::fromStdString(it->id));
            item->setData(Seed, Qt::UserRole,
                          it->recipe.variation >= 1 ? it->recipe.variation : it->recipe.take);
            item->setText(Name, QString::fromStdString(it->name));
            const bool session = isSession(it->recipe);
            if (session) {
                item->setIcon(Name, sessionIcon());
                item->setData(Name, kSessionRole, true);
            }
            item->setText(Length, length(it->seconds, session));
            item->setText(Target, target(it->recipe));
            item->setText(Predicted, va(it->predictedValence, it->predictedArousal));
            item->setText(
                Seed, !group ? QString::number(it->recipe.seed)
                      : it->recipe.variation >= 1
                          ? tr("%1 · variation %2").arg(it->recipe.seed).arg(it->recipe.variation)
                          : tr("%1 · take %2").arg(it->recipe.seed).arg(it->recipe.take));
            item->setToolTip(Name, (session ? tr("Session: ") : QString()) +
                                       QString::fromStdString(it->recipe.prompt));
        }
        for (QTreeWidgetItem* group : groups) {
            QList<QTreeWidgetItem*> takes = group->takeChildren();
            std::sort(takes.begin(), takes.end(), [](QTreeWidgetItem* a, QTreeWidgetItem* b) {
                return a->data(Seed, Qt::UserRole).toInt() < b->data(Seed, Qt::UserRole).toInt();
            });
            group->addChildren(takes);
            group->setExpanded(true);
        }
        list_->setRootIsDecorated(!groups.isEmpty());
    }
    for (int c = Length; c <= Seed; ++c)
        list_->resizeColumnToContents(c);
    filling_ = false;
    if (!keep.isEmpty()) select(keep);
    // A/B slots of deleted clips are dropped.
    if (library_ && !slotA_.isEmpty() && !library_->find(slotA_.toStdString())) slotA_.clear();
    if (library_ && !slotB_.isEmpty() && !library_->find(slotB_.toStdString())) slotB_.clear();
    showDetails();
    updateButtons();
}

QTreeWidgetItem* ClipLibraryPanel::itemFor(const QString& id) const {
    for (QTreeWidgetItemIterator it(list_); *it; ++it)
        if ((*it)->data(Name, Qt::UserRole).toString() == id) return *it;
    return nullptr;
}

QString ClipLibraryPanel::takeGroupKey(const Recipe& recipe) {
    // Everything but the seed and the take number: the batch's recipe with its first seed.
    Recipe batch = recipe;
    batch.seed = recipe.seed - static_cast<std::uint64_t>(recipe.take - 1);
    batch.take = 0;
    return QString::fromStdString(batch.toJson(-1));
}

QString ClipLibraryPanel::variationGroupKey(const Recipe& recipe) {
    Recipe batch = recipe;
    batch.seed = recipe.seed - static_cast<std::uint64_t>(recipe.variation - 1);
    batch.variation = 0; // (which also leaves the batch's settings out of its JSON)
    return QStringLiteral("variation:%1|%2|%3|%4|%5|%6|%7|")
               .arg(QString::fromStdString(recipe.variationOf))
               .arg(recipe.variations)
               .arg(recipe.variationSimilarity, 0, 'g', 17)
               .arg(recipe.variationShiftValence, 0, 'g', 17)
               .arg(recipe.variationShiftArousal, 0, 'g', 17)
               .arg(recipe.restoredFrom, 0, 'g', 17)
               .arg(recipe.restoredTo, 0, 'g', 17) +
           QString::fromStdString(batch.toJson(-1));
}

bool ClipLibraryPanel::canVary(const Recipe& recipe) {
    return recipe.model == "embedded" || !recipe.importedFrom.empty() || recipe.variation > 0;
}

void ClipLibraryPanel::select(const QString& id) {
    if (auto* item = itemFor(id)) {
        list_->setCurrentItem(item);
        item->setSelected(true);
    }
}

QString ClipLibraryPanel::selectedId() const {
    const auto items = list_->selectedItems();
    return items.isEmpty() ? QString() : items.front()->data(Name, Qt::UserRole).toString();
}

void ClipLibraryPanel::showDetails() {
    const LibraryClip* c = library_ ? library_->find(selectedId().toStdString()) : nullptr;
    if (!c) {
        details_->clear();
        return;
    }
    QString text = tr("%1 · %2 s · created %3\n")
                       .arg(QString::fromStdString(c->name))
                       .arg(c->seconds, 0, 'f', 2)
                       .arg(QString::fromStdString(c->created));
    if (c->predictedValence)
        text += tr("Predicted emotion: valence %1, arousal %2\n")
                    .arg(*c->predictedValence, 0, 'f', 2)
                    .arg(*c->predictedArousal, 0, 'f', 2);
    text += QString::fromStdString(c->recipe.toJson(2));
    details_->setPlainText(text);
}

void ClipLibraryPanel::updateButtons() {
    const bool has = !selectedId().isEmpty();
    for (auto* b : {play_, regenerate_, rename_, delete_, export_, setA_, setB_})
        b->setEnabled(has);
    const LibraryClip* clip =
        library_ && has ? library_->find(selectedId().toStdString()) : nullptr;
    const bool derived = clip && (!clip->recipe.importedFrom.empty() || clip->recipe.variation > 0);
    regenerate_->setEnabled(has && !derived);
    regenerate_->setToolTip(derived
                                ? tr("An imported piece or a variation has no recipe to "
                                     "generate it again; make variations of it instead")
                                : tr("Load the recipe (same seed) to generate this clip again"));
    variations_->setEnabled(clip && canVary(clip->recipe));
    ab_->setEnabled(!slotA_.isEmpty() && !slotB_.isEmpty());
    auto name = [this](const QString& id) {
        const LibraryClip* c = library_ ? library_->find(id.toStdString()) : nullptr;
        return c ? QString::fromStdString(c->name) : tr("(none)");
    };
    abLabel_->setText(tr("A: %1%2\nB: %3%4")
                          .arg(name(slotA_), active_ == 'A' ? tr("  ◀ playing") : QString(),
                               name(slotB_), active_ == 'B' ? tr("  ◀ playing") : QString()));
}

void ClipLibraryPanel::renameSelected(const QString& name) {
    const QString id = selectedId();
    if (!library_ || id.isEmpty() || name.trimmed().isEmpty()) return;
    try {
        library_->rename(id.toStdString(), name.trimmed().toStdString());
    } catch (const std::exception& e) {
        emit errorOccurred(QString::fromStdString(e.what()));
    }
    refresh();
}

void ClipLibraryPanel::deleteSelected() {
    const QString id = selectedId();
    const LibraryClip* c = library_ ? library_->find(id.toStdString()) : nullptr;
    if (!c) return;
    if (!confirm_(tr("Delete the clip \"%1\"? Its audio file is removed too.")
                      .arg(QString::fromStdString(c->name))))
        return;
    try {
        library_->remove(id.toStdString());
    } catch (const std::exception& e) {
        emit errorOccurred(QString::fromStdString(e.what()));
    }
    if (id == slotA_ || id == slotB_) active_ = 0;
    refresh();
}

void ClipLibraryPanel::setSelectedAsA() {
    slotA_ = selectedId();
    updateButtons();
}

void ClipLibraryPanel::setSelectedAsB() {
    slotB_ = selectedId();
    updateButtons();
}

void ClipLibraryPanel::switchAb() {
    if (slotA_.isEmpty() || slotB_.isEmpty()) return;
    // The first switch starts from A at the current position; later ones alternate.
    const bool first = active_ == 0;
    active_ = (active_ == 'A') ? 'B' : 'A';
    emit playRequested(active_ == 'A' ? slotA_ : slotB_, !first, first);
    updateButtons();
}

} // namespace moodsteer::widgets
