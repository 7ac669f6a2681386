// An emotion target that moves over time: keyframes (time s, valence, arousal) joined by
// linear or smooth (monotone cubic) interpolation. A clip or session evaluates it at every
// decode step, so the valence/arousal conditioning follows the path inside a window, not
// only from one window to the next. Values are held before the first keyframe and after the
// last; one keyframe is a constant target.
//
// Threading: a plain value type; const member functions may run on any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace moodsteer {

struct VaKeyframe {
    double time = 0;    ///< seconds from the start of the clip or session
    double valence = 5; ///< 1..9
    double arousal = 5; ///< 1..9
};

enum class PathInterpolation {
    Linear, ///< straight lines between keyframes
    Smooth  ///< monotone cubic (Fritsch-Carlson): no overshoot, stays within [1, 9]
};

class VaPath {
  public:
    VaPath() = default;
    /// Throws std::invalid_argument (see validate()).
    explicit VaPath(std::vector<VaKeyframe> keyframes,
                    PathInterpolation interpolation = PathInterpolation::Linear);

    bool empty() const { return keys_.empty(); }
    const std::vector<VaKeyframe>& keyframes() const { return keys_; }
    PathInterpolation interpolation() const { return interpolation_; }
    /// Time of the last keyframe (0 when empty).
    double endTime() const { return keys_.empty() ? 0.0 : keys_.back().time; }

    /// {valence, arousal} at time t seconds. Requires !empty().
    std::pair<double, double> at(double t) const;

    /// "T:V,A T:V,A ..." (times in seconds, separated by spaces or ';'), e.g. "0:3,3 300:7,6".
    /// Throws std::invalid_argument naming the bad keyframe.
    static VaPath parse(const std::string& text,
                        PathInterpolation interpolation = PathInterpolation::Linear);
    /// The iso principle: start (v0,a0) -> target (v1,a1) over `moveSeconds`, then hold
    /// `holdSeconds`. Throws std::invalid_argument for a non-positive move or negative hold.
    static VaPath iso(std::pair<double, double> from, std::pair<double, double> to,
                      double moveSeconds, double holdSeconds,
                      PathInterpolation interpolation = PathInterpolation::Smooth);
    /// The usual therapeutic endpoints {start, target} of a named preset: "calm" (5,8 -> 6,2),
    /// "activate" (5,2 -> 6,8), "lift" (2,4 -> 8,5). Throws std::invalid_argument otherwise.
    static std::pair<std::pair<double, double>, std::pair<double, double>>
    presetEndpoints(const std::string& name);

    static const char* interpolationName(PathInterpolation p);
    /// "linear" | "smooth"; throws std::invalid_argument otherwise.
    static PathInterpolation interpolationFromName(const std::string& name);

  private:
    /// Strictly increasing finite times >= 0, values in [1, 9]; throws std::invalid_argument.
    void validate() const;
    double cubic(std::size_t segment, double t, int axis) const;

    std::vector<VaKeyframe> keys_;
    PathInterpolation interpolation_ = PathInterpolation::Linear;
    std::vector<double> slopeV_, slopeA_; ///< Fritsch-Carlson tangents (Smooth only)
};

} // namespace moodsteer
