#!/usr/bin/env python3
"""Prints the model card's ablation table (markdown) from scripts/judge-ablations.sh's
WORK_DIR/judge/*.json: each row's mean over the bench seeds (1, 1001: 200 clips per mode).
    scripts/ablation-table.py WORK_DIR/judge"""
import json
import pathlib
import sys

ROWS = [("ce", "CE only (`--lara-alpha 0`)"),
        ("ce-lara", "CE + LARA (α 1; the shipped recipe)"),
        ("ce-rr", "CE + RR (λ 3)"),
        ("ce-lara-rr", "CE + LARA + RR"),
        ("text-only", "text-only (`--no-av`)"),
        ("shipped", "shipped model (CE + LARA, 1800 steps)")]


def load(folder, name):
    f = folder / name
    return json.loads(f.read_text()) if f.exists() else None


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def fmt(v, pattern="{:.3f}"):
    return "–" if v is None else pattern.format(v)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: ablation-table.py WORK_DIR/judge")
    folder = pathlib.Path(sys.argv[1])
    print("| recipe | held-out CE | AV: CCC_A | AV: CCC_V | text: CCC_A | text: CCC_V "
          "| genre by prompt (AV / text) | alignment: genre (AV / text) | alignment cosine (AV) "
          "| silent | bar repetition |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for key, label in ROWS:
        ce = load(folder, f"{key}-ce.json")
        av = [load(folder, f"{key}-av-{s}.json") for s in (1, 1001)]
        text = [load(folder, f"{key}-text-{s}.json") for s in (1, 1001)]
        av = [r for r in av if r]
        text = [r for r in text if r]
        if not ce and not av and not text:
            continue

        def m(runs, get):
            return mean([get(r) for r in runs]) if runs else None
        pct = "{:.1%}"
        both = av + text
        print(f"| {label} | {fmt(ce['ce'] if ce else None)} "
              f"| {fmt(m(av, lambda r: r['arousal']['ccc']))} "
              f"| {fmt(m(av, lambda r: r['valence']['ccc']))} "
              f"| {fmt(m(text, lambda r: r['arousal']['ccc']))} "
              f"| {fmt(m(text, lambda r: r['valence']['ccc']))} "
              f"| {fmt(m(av, lambda r: r.get('genre_accuracy')), pct)} / "
              f"{fmt(m(text, lambda r: r.get('genre_accuracy')), pct)} "
              f"| {fmt(m(av, lambda r: r.get('alignment', {}).get('genre_accuracy')), pct)} / "
              f"{fmt(m(text, lambda r: r.get('alignment', {}).get('genre_accuracy')), pct)} "
              f"| {fmt(m(av, lambda r: r.get('alignment', {}).get('mean_prompt_cosine')))} "
              f"| {fmt(m(both, lambda r: r['silent_fraction']), pct)} "
              f"| {fmt(m(both, lambda r: r['bar_repetition']), '{:.2f}')} |")


if __name__ == "__main__":
    main()
