// Models: what is installed (the embedded model, the Hugging Face cache shared with Python,
// added folders) with sizes and revisions, the catalogue (musicgen-small/medium/large, MERT;
// melody marked unsupported with the reason), download of any repo id with progress, speed,
// time left and cancel, removal from the cache, and "Use" to switch the studio's model.
//
// Threads: the dialog lives on the GUI thread. A download runs HubDownloader::pull on its own
// std::thread; its progress callback only stores the latest figures under a mutex and a
// 10 Hz timer repaints, so the GUI never waits on the network. Closing the dialog cancels a
// running download and joins its thread (the partial file stays and resumes next time).
#pragma once

#include "core/hub/HubDownloader.h"
#include "core/hub/HubSettings.h"

#include <QDialog>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTimer;

namespace moodsteer::widgets {

class ModelsDialog : public QDialog {
    Q_OBJECT
  public:
    explicit ModelsDialog(const HubSettings& settings, QWidget* parent = nullptr);
    ~ModelsDialog() override;

    /// Re-reads the cache and the catalogue into the table.
    void refresh();
    /// Starts downloading `repoId[@rev]` (what the Download button does). False when the id is
    /// invalid, unsupported or a download is already running (the status line says why).
    bool download(const QString& spec);
    void cancelDownload();
    /// Deletes a repo from the cache after `confirm` agrees (tests replace the question).
    bool removeModel(const QString& repoId);
    bool isDownloading() const { return worker_.joinable() && !finished_; }

    /// Row of a model id in the table, -1 if absent; the text of its status column.
    int rowOf(const QString& id) const;
    QString statusOf(const QString& id) const;
    QString statusLine() const;
    QString progressText() const;

    std::function<bool(const QString& question)> confirm;

  signals:
    /// "Use" on an installed model: its folder ("" for the embedded model).
    void modelChosen(const QString& folder);
    /// A download finished: the snapshot folder (empty and `error` set on failure/cancel).
    void downloadFinished(const QString& folder, const QString& error);

  private:
    void onTick();
    void finishDownload();
    QString selectedId() const;
    void updateButtons();

    HubSettings settings_;
    QTableWidget* table_;
    QLineEdit* repo_;
    QPushButton* download_;
    QPushButton* cancel_;
    QPushButton* remove_;
    QPushButton* use_;
    QProgressBar* progress_;
    QLabel* progressText_;
    QLabel* status_;
    QTimer* tick_;

    std::thread worker_;
    std::atomic<bool> cancelFlag_{false};
    std::atomic<bool> finished_{true};
    std::mutex mutex_; // guards the three fields below (worker writes, GUI reads)
    std::optional<DownloadProgress> latest_;
    std::optional<PullResult> result_;
    QString error_;
};

} // namespace moodsteer::widgets
