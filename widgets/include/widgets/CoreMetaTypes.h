// Core value types declared to Qt's meta-type system so that they can travel through queued
// signals. Every widgets header that uses them in a signal includes this first.
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/emotion/EmotionBenchmark.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"
#include "core/probing/LayerAnalysis.h"

#include <QMetaType>

Q_DECLARE_METATYPE(moodsteer::Recipe)
Q_DECLARE_METATYPE(moodsteer::ModelInfo)
Q_DECLARE_METATYPE(moodsteer::GenerationProgress)
Q_DECLARE_METATYPE(moodsteer::GenerationResult)
Q_DECLARE_METATYPE(moodsteer::AudioBuffer)
Q_DECLARE_METATYPE(moodsteer::ClipPrediction)
Q_DECLARE_METATYPE(moodsteer::LayerAnalysisReport)
Q_DECLARE_METATYPE(moodsteer::EmotionBenchmarkOptions)
Q_DECLARE_METATYPE(moodsteer::EmotionBenchmarkClip)
Q_DECLARE_METATYPE(moodsteer::EmotionBenchmarkReport)
