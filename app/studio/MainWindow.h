// The studio's main window: lays out the panels and wires them to the engine client, the
// audio player and the clip library. No domain logic lives here (see widgets/).
#pragma once

#include "core/library/ClipLibrary.h"
#include "core/playback/AudioPlayer.h"
#include "widgets/AbComparison.h"
#include "widgets/EngineClient.h"
#include "widgets/StudioSettings.h"

#include <QHash>
#include <QMainWindow>

#include <memory>
#include <vector>

class QLabel;
class QSettings;
class QTabWidget;

namespace moodsteer::widgets {
class ClipLibraryPanel;
class GeneratePanel;
class GenerationController;
class PromptPanel;
class TransportPanel;
class EmotionView;
class GenreSteeringPanel;
class JobsStrip;
class LayerExplorerPanel;
class SessionPanel;
class VariationsController;
} // namespace moodsteer::widgets

namespace moodsteer::studio {

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    /// Takes the engine client, the audio player and the library folder ("" = none).
    MainWindow(widgets::EngineClient* engine, std::unique_ptr<AudioPlayer> player,
               const QString& libraryFolder, QSettings* settings, QWidget* parent = nullptr);
    ~MainWindow() override;

    widgets::PromptPanel* promptPanel() const { return prompt_; }
    widgets::GeneratePanel* generatePanel() const { return generate_; }
    widgets::TransportPanel* transportPanel() const { return transport_; }
    widgets::ClipLibraryPanel* libraryPanel() const { return libraryPanel_; }
    widgets::EmotionView* emotionView() const { return emotion_; }
    widgets::GenreSteeringPanel* steeringPanel() const { return steering_; }
    widgets::LayerExplorerPanel* explorerPanel() const { return explorer_; }
    widgets::JobsStrip* jobsStrip() const { return jobsStrip_; }
    widgets::GenerationController* generationController() const { return controller_; }
    widgets::SessionPanel* sessionPanel() const { return session_; }
    widgets::VariationsController* variationsController() const { return variations_; }
    /// Library, emotion view, genre steering, layer explorer, session.
    QTabWidget* sideTabs() const { return tabs_; }
    ClipLibrary* library() const { return library_.get(); }
    const widgets::StudioSettings& settings() const { return studio_; }

  public slots:
    void generate();
    /// The current recipe twice with the same seed: unsteered (A), then steered (B), both
    /// queued at once.
    void generateAb();
    /// Queues a layer exploration (after any running job).
    void exploreLayers(const widgets::LayerExplorerRequest& request);
    /// Queues a grid benchmark of `grid` x `grid` targets.
    void runEmotionBenchmark(int grid);
    void exportClip(const QString& id);
    void showSettings();
    void showModels();
    void showAbout();
    void loadModel();
    /// File > Import MIDI…: asks for a .mid file and imports it into the library.
    void importMidi();
    /// Imports `path` into the library (the same job as the menu's, without the dialog).
    void importMidiFile(const QString& path);

  protected:
    void closeEvent(QCloseEvent*) override;

  private:
    void buildMenus();
    void playClip(const QString& id, bool keepPosition, bool play);
    void showError(const QString& message);
    /// Asks the engine for a clip's predicted emotion (once at a time per clip).
    void predictEmotion(const QString& id);
    void onEmotionPredicted(const QString& id, const ClipPrediction& prediction);
    /// Scores the clip against its prompt with the alignment model (an engine job); the score
    /// shows in the emotion view beside the predicted emotion.
    void scoreAlignment(const QString& id);
    void onClipAdded(const QString& id, widgets::JobId job);
    /// Variations… on library clip `id`: the dialog, then a VariationsJob.
    void askVariations(const QString& id);
    /// A generation ended without its clip: an A/B run that needed it stops.
    void onGenerationLost(widgets::JobId job);
    /// Routes the engine's job reports of the explorer, benchmark and predictions.
    void onJobFinished(widgets::JobId job, const QVariant& result);
    void onJobFailed(widgets::JobId job, const QString& message);
    /// Pad point, emotion-view highlight and timeline for the selected clip.
    void showClipEmotion(const QString& id);

    widgets::EngineClient* engine_;
    std::unique_ptr<AudioPlayer> player_;
    std::unique_ptr<ClipLibrary> library_;
    QSettings* settings_;
    widgets::StudioSettings studio_;
    widgets::PromptPanel* prompt_;
    widgets::GeneratePanel* generate_;
    widgets::TransportPanel* transport_;
    widgets::ClipLibraryPanel* libraryPanel_;
    widgets::GenerationController* controller_;
    widgets::GenerationController* sessionController_;
    widgets::VariationsController* variations_;
    QString shownClip_; ///< the library clip in the transport ("" while streaming)
    widgets::SessionPanel* session_;
    QTabWidget* tabs_;
    widgets::EmotionView* emotion_;
    widgets::GenreSteeringPanel* steering_;
    widgets::LayerExplorerPanel* explorer_;
    widgets::JobsStrip* jobsStrip_;
    widgets::AbComparison ab_;
    widgets::JobId explorerJob_ = 0;
    widgets::JobId benchmarkJob_ = 0;
    QLabel* modelLabel_;
    /// Per-window predictions of the clips predicted in this session (not persisted).
    QHash<QString, ClipPrediction> predictions_; ///< with uncertainty, flags and judge
    /// Prediction jobs and their clips (a clip is predicted once at a time).
    QHash<widgets::JobId, QString> predicting_;
    QHash<QString, double> alignments_;      ///< clip id -> alignment score to its prompt
    QHash<QString, QString> alignmentNotes_; ///< clip id -> why it has no score
    QHash<widgets::JobId, QString> aligning_;
    QHash<widgets::JobId, QString> secondTake_; ///< a takes job's take 2, until take 1 lands
    bool predictorWarned_ = false;
    QString libraryError_;
};

} // namespace moodsteer::studio
