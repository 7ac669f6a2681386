// The clip library: every clip with its full recipe and predicted emotion; play, rename,
// delete (with confirmation), regenerate exactly, export, and A/B comparison of two clips
// at the same position with an instant switch. The takes of one batch (Recipe::take/takes)
// and the variations of one request (Recipe::variationOf/variation/variations) are grouped
// under one row, in order. "Variations…" is offered for clips with SynthCodec codes (the
// embedded model's clips, imported MIDI, variations); imported pieces and variations cannot
// be regenerated from their recipe, so Regenerate is off for them.
#pragma once

#include "core/library/ClipLibrary.h"
#include "widgets/CoreMetaTypes.h"

#include <QWidget>

#include <functional>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace moodsteer::widgets {

class ClipLibraryPanel : public QWidget {
    Q_OBJECT
  public:
    /// `library` may be null (no data folder): the panel then says so. Must outlive the panel.
    explicit ClipLibraryPanel(ClipLibrary* library, QWidget* parent = nullptr);
    /// Item data role (Name column) that is true for sessions (windowed, path-following clips:
    /// shown with the session icon, their length as m:ss and the path's start -> end).
    static constexpr int kSessionRole = Qt::UserRole + 1;

    /// Asks the user a yes/no question (a QMessageBox by default; tests replace it).
    void setConfirmer(std::function<bool(const QString& question)> confirmer);

    void refresh();
    void select(const QString& id);
    QString selectedId() const;
    QTreeWidget* list() const { return list_; }

    /// The same for every take of one batch (its recipe without seed and take number).
    static QString takeGroupKey(const Recipe& recipe);
    /// The same for every variation of one request.
    static QString variationGroupKey(const Recipe& recipe);
    /// True when variations can be made of a clip with this recipe (SynthCodec codes).
    static bool canVary(const Recipe& recipe);

    QString slotA() const { return slotA_; }
    QString slotB() const { return slotB_; }
    /// 'A', 'B' or 0 when not comparing.
    char activeSlot() const { return active_; }

  public slots:
    void renameSelected(const QString& name);
    void deleteSelected();
    void setSelectedAsA();
    void setSelectedAsB();
    /// Switches between A and B; emits playRequested(id, keepPosition = true).
    void switchAb();

  signals:
    /// Load this clip into the transport (and play when `play`).
    void playRequested(const QString& id, bool keepPosition, bool play);
    void regenerateRequested(const moodsteer::Recipe& recipe);
    void exportRequested(const QString& id);
    void variationsRequested(const QString& id);
    void selectionChanged(const QString& id);
    void errorOccurred(const QString& message);

  private:
    void showDetails();
    void updateButtons();
    QTreeWidgetItem* itemFor(const QString& id) const;

    ClipLibrary* library_;
    std::function<bool(const QString&)> confirm_;
    QTreeWidget* list_;
    QPlainTextEdit* details_;
    QPushButton* play_;
    QPushButton* regenerate_;
    QPushButton* rename_;
    QPushButton* delete_;
    QPushButton* export_;
    QPushButton* variations_;
    QPushButton* setA_;
    QPushButton* setB_;
    QPushButton* ab_;
    QLabel* abLabel_;
    QString slotA_, slotB_;
    char active_ = 0;
    bool filling_ = false;
};

} // namespace moodsteer::widgets
