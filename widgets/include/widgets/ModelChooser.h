// The model chooser in the prompt panel: which model the studio runs (the embedded model, the
// complete supported models in the Hugging Face cache, folders added in the Models dialog) and
// at which weight precision, with Load and Unload. It only emits requests: MainWindow turns
// them into a LoadModelJob / UnloadModelJob on the EngineClient, so a switch made while a job
// runs waits behind it in the queue instead of being refused.
//
// Threading: GUI thread only. refresh() lists the cache folders (no hashing, no network).
#pragma once

#include "core/hub/HubSettings.h"

#include <QList>
#include <QString>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace moodsteer::widgets {

struct ModelChoice {
    QString label; ///< what the list shows: "embedded (default)", "facebook/musicgen-small", a path
    QString folder; ///< what LoadModelJob loads; "" = the embedded model
};

class ModelChooser : public QWidget {
    Q_OBJECT
  public:
    explicit ModelChooser(QWidget* parent = nullptr);

    /// Loadable models: the embedded one (when installed), each supported cached repo whose
    /// snapshot for `main` (else its newest) has every file the engine needs, then the folders
    /// of the local model list (`localListFile`, see LocalModelList). Unreadable lists are
    /// skipped, never fatal: the chooser must open on any machine.
    static QList<ModelChoice> discover(const HubSettings& settings, const QString& localListFile);
    /// Where refresh() looks (tests point it at a temporary cache and list).
    void setSources(const HubSettings& settings, const QString& localListFile);
    /// Re-reads the sources, keeping the current selection when it is still there.
    void refresh();
    QList<ModelChoice> choices() const;

    /// Selects `folder` ("" = embedded); a folder not in the list is added as its own entry.
    void setCurrentFolder(const QString& folder);
    QString currentFolder() const;
    /// One of weightPrecisions(): "f32" | "bf16" | "int8" | "int4".
    void setPrecision(const QString& precision);
    QString precision() const;
    /// What the engine holds: enables Unload and says it next to the buttons.
    void setLoadedState(bool loaded, const QString& text);

    QComboBox* modelBox() const { return models_; }
    QComboBox* precisionBox() const { return precision_; }
    QPushButton* loadButton() const { return load_; }
    QPushButton* unloadButton() const { return unload_; }
    QString stateText() const;

  signals:
    void loadRequested(const QString& folder, const QString& precision);
    void unloadRequested();

  private:
    HubSettings settings_;
    QString localListFile_;
    QComboBox* models_;
    QComboBox* precision_;
    QPushButton* load_;
    QPushButton* unload_;
    QLabel* state_;
};

} // namespace moodsteer::widgets
