// The direct JACK output (libjack, no PortAudio), used by the PortAudio sink once its JACK
// stream has died with the server (PortAudioSink.cpp explains why PortAudio cannot recover
// there): later opens go through this client, so playback comes back when a JACK server
// returns, without restarting the studio. Same contract as every AudioSink (AudioPlayer.h);
// devices() lists one output while a server runs, at the server's rate.
#pragma once

#include "core/playback/AudioPlayer.h"

#include <memory>

namespace moodsteer {

std::unique_ptr<AudioSink> makeJackSink();

} // namespace moodsteer
