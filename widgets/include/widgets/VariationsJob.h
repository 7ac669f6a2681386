// "Variations of this" (issue #21): makes `count` variations of a SynthCodec clip (or, with a
// restore range, regenerates only that range) with the VariationGenerator, reporting progress
// per denoising step and honouring its cancel token between steps. Result: VariationsJob::
// Outcome: one GenerationResult per variation (SynthCodec audio, codes, a recipe with
// variationOf / variation / variations / similarity / shift), fewer when cancelled.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"
#include "widgets/VariationSettings.h"

#include <QList>

namespace moodsteer::widgets {

class VariationsJob : public EngineJob {
  public:
    struct Outcome {
        QString sourceId;
        QList<GenerationResult> variations;
        bool cancelled = false;
    };
    using Result = Outcome;
    static constexpr const char* kKind = "variations";

    VariationsJob(QString sourceId, QString sourceName, CodeGrid codes, VariationSettings settings)
        : sourceId_(std::move(sourceId)), sourceName_(std::move(sourceName)),
          codes_(std::move(codes)), settings_(settings) {}

    const QString& sourceId() const { return sourceId_; }
    const CodeGrid& codes() const { return codes_; }
    const VariationSettings& settings() const { return settings_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

    /// The clip of variation `index` (0-based) made of `codes`: its audio, codes and recipe.
    static GenerationResult clipOf(const CodeGrid& codes, const QString& sourceId,
                                   const VariationSettings& settings, int index);

  private:
    QString sourceId_, sourceName_;
    CodeGrid codes_;
    VariationSettings settings_;
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::VariationsJob::Outcome)
