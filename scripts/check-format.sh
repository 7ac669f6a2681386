#!/usr/bin/env bash
# Fails (exit 1) when a tracked C++ file differs from the repo's .clang-format, listing each.
#   scripts/check-format.sh         check (CI runs this before building)
#   scripts/check-format.sh --fix   reformat those files in place
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
command -v "$fmt" >/dev/null || { echo "check-format: $fmt not found (apt-get install clang-format)" >&2; exit 2; }
bad=()
while IFS= read -r -d '' f; do
    if ! "$fmt" --style=file "$f" | cmp -s - "$f"; then bad+=("$f"); fi
done < <(git ls-files -z -- '*.cpp' '*.h')
if [ ${#bad[@]} -eq 0 ]; then
    echo "check-format: all C++ files match .clang-format ($("$fmt" --version | grep -o 'version [0-9.]*'))"
    exit 0
fi
if [ "${1:-}" = "--fix" ]; then
    "$fmt" --style=file -i "${bad[@]}"
    echo "check-format: reformatted ${#bad[@]} files"
    exit 0
fi
printf 'check-format: not formatted: %s\n' "${bad[@]}" >&2
echo "check-format: ${#bad[@]} files differ; run scripts/check-format.sh --fix" >&2
exit 1
