#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ (committed; rerun only to change them).

Seeds are small valid files of each kind plus hand-made edge cases (empty, truncated, absurd
header fields), so the fuzzer starts from the real layouts. Needs python3, a C compiler with
libsndfile (FLAC/OGG seeds) and spm_train (the SentencePiece seed)."""
import json, os, shutil, struct, subprocess, sys, tempfile, wave, math

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


# --- safetensors ---------------------------------------------------------------------------
f32 = lambda xs: struct.pack("<%df" % len(xs), *xs)
put("safetensors", "f32.safetensors", safetensors([("w", "F32", [2, 3], f32([1, 2, 3, 4, 5, 6]))]))
put("safetensors", "mixed_meta.safetensors", safetensors([
    ("ids", "I64", [3], struct.pack("<3q", -1, 0, 7)),
    ("half", "F16", [2, 2], struct.pack("<4H", 0x3C00, 0x4000, 0, 0x8000)),
    ("bf", "BF16", [4], struct.pack("<4H", 0x3F80, 0x4000, 0, 0x8000)),
    ("mask", "BOOL", [1, 2], b"\x01\x00")], {"format": "pt"}))
put("safetensors", "edge_shapes.safetensors", safetensors([
    ("scalar", "F64", [], struct.pack("<d", 3.5)), ("empty", "F32", [0, 4], b""),
    ("i8", "I8", [5, 1, 1], bytes([1, 254, 3, 252, 5])), ("k", "I32", [2], struct.pack("<2i", 1 << 20, -5)),
    ("s", "I16", [3], struct.pack("<3h", 1, 2, 3)), ("u", "U8", [1, 1, 1], b"\xff")]))
put("safetensors", "metadata_only.safetensors", safetensors([], {"note": "no tensors"}))
overflow = b'{"a":{"dtype":"U8","shape":[2,4611686018427387904,0],"data_offsets":[0,0]}}'
put("safetensors", "shape_overflow.safetensors", struct.pack("<Q", len(overflow)) + overflow)
deep = b'{"a":' + b"[" * 17 + b"]" * 17 + b"}"
put("safetensors", "deep_17.safetensors", struct.pack("<Q", len(deep)) + deep)
put("safetensors", "header_len_huge.safetensors", struct.pack("<Q", 2**63) + b"{}")
put("safetensors", "truncated.safetensors", safetensors([("w", "F32", [2, 3], f32([1, 2, 3, 4, 5, 6]))])[:-7])
put("safetensors", "empty", b"")

# --- steering vectors ----------------------------------------------------------------------
def steering(direction, **over):
    md = {"format": "moodsteer.steering_vector", "model_id": "embedded-0.1", "layer": "3",
          "pooling": "mean", "label": "jazz", "label_set": '["jazz","rock"]', "method": "class_means",
          "hidden_size": str(len(direction)), "sign_projection": "1.25", "flipped": "false"}
    md.update(over)
    return safetensors([("direction", "F32", [len(direction)], f32(direction))], md)

put("steering_vector", "unit4.safetensors", steering([0.5, 0.5, 0.5, 0.5]))
put("steering_vector", "unit1_flipped.safetensors", steering([-1.0], flipped="true", layer="0"))
put("steering_vector", "not_unit.safetensors", steering([1.0, 1.0]))
put("steering_vector", "layer_huge.safetensors", steering([0.6, 0.8], layer="1000000000000"))
put("steering_vector", "bad_label_set.safetensors", steering([0.6, 0.8], label_set="[1,{}]"))
put("steering_vector", "wrong_format.safetensors", steering([1.0], format="pt"))

# --- recipes -------------------------------------------------------------------------------
recipe = {"model": "embedded", "prompt": "calm jazz piano", "prompt_ids": [], "valence": 6.5,
          "arousal": 3.0, "seed": 42, "guidance": 3.0, "temperature": 1.0, "top_k": 250, "top_p": 0.0,
          "greedy": False, "seconds": 10.0, "steps": 0, "engine_version": "0.1.0",
          "steering": [{"vector": "jazz.safetensors", "label": "jazz", "layer": 3, "alpha": 0.5,
                        "schedule": "ramp-up"}]}
put("recipe", "full.json", json.dumps(recipe, indent=2))
put("recipe", "minimal.json", "{}")
put("recipe", "ids.json", json.dumps({"prompt_ids": [3, 17, 1], "seed": 18446744073709551615}))
put("recipe", "bad_types.json", json.dumps({"seed": 1.5, "steps": 2**40, "top_k": "x"}))
put("recipe", "deep.json", "[" * 64 + "]" * 64)
put("recipe", "not_object.json", "[1]")
put("recipe", "unicode.json", json.dumps({"prompt": "r\u00eaverie \u266b \U0001F3B9"}, ensure_ascii=False))

# --- CSV -----------------------------------------------------------------------------------
put("csv", "labels.csv", "file,valence,arousal,genre\nclip1.wav,6.5,3.0,jazz\n\"a, b.wav\",1,9,\"ro\"\"ck\"\n")
put("csv", "bom_blank.csv", "\ufeffword,valence,arousal\n\ncalm,6.9,2.4\r\nangry,2.5,7.2\r\n")
put("csv", "ragged.csv", "a,b\n1\n")
put("csv", "unterminated.csv", "a,b\n\"1,2\n")
put("csv", "numbers.csv", "x\n1e308\n-inf\nnan\n0x10\n 7 \n")
put("csv", "multiline.csv", "a,b\n\"line1\nline2\",2\n")

# --- model config --------------------------------------------------------------------------
top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(top, "resources", "model", "config.json")) as f:
    put("model_config", "embedded_config.json", f.read())
put("model_config", "decoder_hf.json", json.dumps({"vocab_size": 2048, "max_position_embeddings": 2048,
    "num_hidden_layers": 24, "ffn_dim": 4096, "num_attention_heads": 16, "hidden_size": 1024,
    "num_codebooks": 4, "activation_function": "gelu", "scale_embedding": False,
    "pad_token_id": 2048, "bos_token_id": 2048}))
put("model_config", "decoder_bad.json", json.dumps({"decoder": {"hidden_size": 6, "num_attention_heads": 4}}))
put("model_config", "deep.json", "{\"a\":" * 40 + "1" + "}" * 40)

# --- audio ---------------------------------------------------------------------------------
def wav(rate, channels, width, frames):
    tmp = tempfile.NamedTemporaryFile(suffix=".wav", delete=False)
    tmp.close()
    with wave.open(tmp.name, "wb") as w:
        w.setnchannels(channels); w.setsampwidth(width); w.setframerate(rate)
        data = b""
        for i in range(frames):
            v = math.sin(i * 0.3)
            for _ in range(channels):
                data += (int(v * 100 + 128).to_bytes(1, "little") if width == 1
                         else int(v * 12000).to_bytes(width, "little", signed=True))
        w.writeframes(data)
    with open(tmp.name, "rb") as f:
        b = f.read()
    os.unlink(tmp.name)
    return b

put("audio", "mono16.wav", wav(32000, 1, 2, 64))
put("audio", "stereo8.wav", wav(8000, 2, 1, 32))
put("audio", "zero_frames.wav", wav(44100, 1, 2, 0))
w = bytearray(wav(32000, 1, 2, 16))
struct.pack_into("<I", w, 24, 0xFFFFFFFF)  # absurd sample rate
put("audio", "rate_huge.wav", bytes(w))
w = bytearray(wav(32000, 1, 2, 16))
struct.pack_into("<H", w, 22, 60000)  # absurd channel count
put("audio", "channels_huge.wav", bytes(w))
w = bytearray(wav(32000, 1, 2, 16))
struct.pack_into("<I", w, 40, 0x7FFFFFF0)  # data chunk claims 2 GB
put("audio", "data_size_huge.wav", bytes(w))
# Float WAV with a NaN, written by hand (format 3).
samples = struct.pack("<4f", 0.0, float("nan"), 0.5, -0.5)
fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
put("audio", "float_nan.wav", b"RIFF" + struct.pack("<I", 4 + 8 + 16 + 8 + len(samples)) + b"WAVE" +
    b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(samples)) + samples)
# Sun .au, 16-bit big-endian, unknown data size (0xffffffff).
put("audio", "unknown_size.au", b".snd" + struct.pack(">IIIII", 24, 0xFFFFFFFF, 3, 8000, 1) + struct.pack(">8h", *range(0, 8000, 1000)))
put("audio", "empty", b"")
src = r'''
#include <sndfile.h>
#include <math.h>
#include <stdio.h>
int main(int argc, char** argv) {
    const int formats[3] = {SF_FORMAT_FLAC | SF_FORMAT_PCM_16, SF_FORMAT_OGG | SF_FORMAT_VORBIS,
                            SF_FORMAT_AIFF | SF_FORMAT_PCM_24};
    for (int k = 0; k < 3; ++k) {
        SF_INFO info = {0};
        info.samplerate = 16000; info.channels = k == 2 ? 2 : 1; info.format = formats[k];
        SNDFILE* f = sf_open(argv[k + 1], SFM_WRITE, &info);
        if (!f) { fprintf(stderr, "%s\n", sf_strerror(NULL)); return 1; }
        float buf[512];
        for (int i = 0; i < 512; ++i) buf[i] = 0.3f * sinf(i * 0.05f);
        sf_writef_float(f, buf, 512 / info.channels);
        sf_close(f);
    }
    return 0;
}
'''
with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "w.c"), "w") as f:
        f.write(src)
    subprocess.check_call(["cc", os.path.join(d, "w.c"), "-o", os.path.join(d, "w"), "-lsndfile", "-lm"])
    outs = [os.path.join(d, n) for n in ("a.flac", "a.ogg", "a.aiff")]
    subprocess.check_call([os.path.join(d, "w")] + outs)
    for o in outs:
        with open(o, "rb") as f:
            put("audio", "tiny" + os.path.splitext(o)[1], f.read())

    # --- SentencePiece model ---------------------------------------------------------------
    text = os.path.join(d, "t.txt")
    with open(text, "w") as f:
        for line in ["calm jazz piano", "angry rock guitar", "happy pop song with drums",
                     "sad ambient pads", "fast techno beat", "slow blues", "epic orchestral strings"] * 4:
            f.write(line + "\n")
    subprocess.check_call(["spm_train", "--input=" + text, "--model_prefix=" + os.path.join(d, "m"),
                           "--vocab_size=40", "--model_type=unigram", "--normalization_rule_name=identity", "--minloglevel=2",
                           "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(d, "m.model"), "rb") as f:
        model = f.read()
    put("spm_model", "tiny_unigram.model", model)
    put("spm_model", "truncated.model", model[: len(model) // 2])
    put("spm_model", "empty", b"")
print("seeds written to", root)


# --- midi ----------------------------------------------------------------------------------
def vlq(v):
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    return bytes(reversed(out))


def smf(fmt, division, tracks, ntracks=None):
    head = b"MThd" + struct.pack(">IHHH", 6, fmt, len(tracks) if ntracks is None else ntracks,
                                 division)
    return head + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks)


def events(*evs):
    return b"".join(vlq(dt) + bytes(ev) for dt, ev in evs) + b"\x00\xff\x2f\x00"


conductor = events((0, [0xFF, 0x51, 3, 0x07, 0xA1, 0x20]), (0, [0xFF, 0x58, 4, 4, 2, 24, 8]),
                   (0, [0xFF, 0x59, 2, 0xFD, 1]))
melody = events((0, [0xC2, 73]), (0, [0x92, 76, 90]), (240, [0x82, 76, 0]), (0, [0x92, 79, 70]),
                (480, [0x82, 79, 0]))
chords = events((0, [0xC0, 0]), (0, [0x90, 60, 80]), (0, [64, 80]), (0, [67, 80]),
                (720, [60, 0]), (0, [64, 0]), (0, [67, 0]))  # running status, velocity-0 offs
bass = events((0, [0xC1, 32]), (0, [0x91, 36, 90]), (720, [0x81, 36, 0]))
drums = events((0, [0x99, 36, 100]), (0, [42, 80]), (120, [0x89, 36, 0]), (0, [42, 0]),
               (120, [0x99, 38, 100]), (0, [56, 70]), (120, [38, 0]), (0, [56, 0]))
put("midi", "type1_band.mid", smf(1, 480, [conductor, melody, chords, bass, drums]))
put("midi", "type0_piano.mid", smf(0, 96, [events(
    (0, [0xF0, 3, 0x7E, 0x7F, 0xF7]), (0, [0xC0, 0]), (0, [0x90, 48, 90]), (0, [52, 90]),
    (0, [55, 90]), (0, [76, 100]), (48, [76, 0]), (0, [79, 100]), (96, [0x80, 79, 0]),
    (0, [0x80, 48, 0]), (0, [0x80, 52, 0]), (0, [0x80, 55, 0]))]))
put("midi", "smpte.mid", smf(1, 0xE728, [melody]))  # -25 fps, 40 ticks per frame
put("midi", "alien_chunk.mid", smf(1, 480, [melody])[:14] + b"XFIH" + struct.pack(">I", 2)
    + b"ok" + smf(1, 480, [melody])[14:])
put("midi", "tempo_changes.mid", smf(1, 480, [events(
    (0, [0xFF, 0x51, 3, 0x03, 0xD0, 0x90]), (960, [0xFF, 0x51, 3, 0x0F, 0x42, 0x40])), melody]))
put("midi", "truncated.mid", smf(1, 480, [conductor, melody])[:60])
put("midi", "no_notes.mid", smf(1, 480, [conductor]))
put("midi", "running_status_first.mid", smf(1, 480, [bytes([0, 60, 100]) + b"\x00\xff\x2f\x00"]))
put("midi", "type2.mid", smf(2, 480, [melody]))
put("midi", "missing_tracks.mid", smf(1, 480, [melody], ntracks=5))
put("midi", "huge_length.mid", b"MThd" + struct.pack(">IHHH", 6, 1, 1, 480) + b"MTrk"
    + struct.pack(">I", 0x7FFFFFFF) + melody)
put("midi", "empty", b"")
