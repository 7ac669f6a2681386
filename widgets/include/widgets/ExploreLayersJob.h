// The layer explorer's run: collects activations (from a labelled folder, or from clips the
// model generates per genre), then analyses every layer. Result: LayerAnalysisReport. A
// cancelled run fails with "cancelled" and leaves no activation file.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

#include <QStringList>

namespace moodsteer::widgets {

/// What to explore.
struct LayerExplorerRequest {
    QString folder;     ///< folder with labels.csv; empty: generate
    QStringList labels; ///< generate: genres (empty: the model's own)
    int perLabel = 8;   ///< generate: clips per genre
    double seconds = 5.0;
    std::uint64_t seed = 1;
    QString activationPath; ///< where the activation set is written (kept for re-analysis)
};

class ExploreLayersJob : public EngineJob {
  public:
    using Result = LayerAnalysisReport;
    static constexpr const char* kKind = "explore-layers";

    explicit ExploreLayersJob(LayerExplorerRequest request) : request_(std::move(request)) {}

    const LayerExplorerRequest& request() const { return request_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

  private:
    LayerExplorerRequest request_;
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::LayerExplorerRequest)
