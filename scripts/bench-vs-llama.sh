#!/usr/bin/env bash
# Same files, same machine, same threads: `moondream bench` against llama.cpp's
# llama-bench (prefill of the 742-token picture prompt, decode with an empty context and
# at depth 743) and llama-mtmd-cli (picture encode), interleaved over several rounds so
# that a noisy neighbour hits both. llama.cpp is built outside this repository (for
# example from the ngxson/llama.cpp mirror); nothing of it is vendored here.
#
#   scripts/bench-vs-llama.sh LLAMA_BIN_DIR TEXT.gguf MMPROJ.gguf [threads] [rounds]
#
# Prints one line per round and figure, then the medians side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 3 ]]; then
  sed -n 2,9p "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
LLAMA="$1" TEXT="$2" MMPROJ="$3" T="${4:-2}" ROUNDS="${5:-3}"
IMG=testdata/fixtures/images/scene_512x384.png
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

for r in $(seq 1 "$ROUNDS"); do
  build/moondream bench --model "$TEXT" --mmproj "$MMPROJ" -t "$T" --tokens 32 --cache-type f16 \
    --image "$IMG" --json 2>/dev/null >"$OUT/ours.$r.json"
  "$LLAMA/llama-bench" -m "$TEXT" -t "$T" -p 742 -n 0 -r 1 -o json 2>/dev/null >"$OUT/pp.$r.json"
  "$LLAMA/llama-bench" -m "$TEXT" -t "$T" -p 0 -n 32 -r 1 -o json 2>/dev/null >"$OUT/tg.$r.json"
  "$LLAMA/llama-bench" -m "$TEXT" -t "$T" -p 0 -n 32 -d 743 -r 1 -o json 2>/dev/null \
    >"$OUT/tgd.$r.json"
  /usr/bin/time -f "%M" -o "$OUT/mtmd_rss.$r" "$LLAMA/llama-mtmd-cli" -m "$TEXT" --mmproj "$MMPROJ" \
    --image "$IMG" -p "Describe this image." -n 32 -t "$T" --temp 0 --chat-template vicuna \
    >"$OUT/mtmd.$r.log" 2>&1 || true
done

python3 - "$OUT" "$ROUNDS" <<'PY'
import json, re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rows = {k: ([], []) for k in ["image encode (ms)", "prefill, picture prompt (tok/s)",
                              "decode, empty context (tok/s)", "decode at depth 743 (tok/s)",
                              "peak RSS (MiB)"]}
def llama_ts(path):
    return json.load(open(path))[0]["avg_ts"]
for r in range(1, rounds + 1):
    o = json.load(open(f"{out}/ours.{r}.json"))
    rows["image encode (ms)"][0].append(o["image_encode_ms"])
    rows["prefill, picture prompt (tok/s)"][0].append(o["prefill_tokens_per_s"])
    rows["decode, empty context (tok/s)"][0].append(o["decode_empty_context_tokens_per_s"])
    rows["decode at depth 743 (tok/s)"][0].append(o["decode_tokens_per_s"])
    rows["peak RSS (MiB)"][0].append(o["peak_rss_mb"])
    rows["prefill, picture prompt (tok/s)"][1].append(llama_ts(f"{out}/pp.{r}.json"))
    rows["decode, empty context (tok/s)"][1].append(llama_ts(f"{out}/tg.{r}.json"))
    rows["decode at depth 743 (tok/s)"][1].append(llama_ts(f"{out}/tgd.{r}.json"))
    log = open(f"{out}/mtmd.{r}.log", errors="replace").read()
    m = re.search(r"encoding done in (\d+) ms", log)
    if m:
        rows["image encode (ms)"][1].append(float(m.group(1)))
    rss = open(f"{out}/mtmd_rss.{r}").read().split()
    if rss and rss[-1].isdigit():
        rows["peak RSS (MiB)"][1].append(int(rss[-1]) / 1024)
    for k, (a, b) in rows.items():
        print(f"round {r}: {k}: ours {a[-1] if a else '-':.6} llama.cpp {b[-1] if b else '-'}")
print()
print("| figure (median of %d rounds) | moondream-local | llama.cpp | ratio |" % rounds)
print("| --- | --- | --- | --- |")
for k, (a, b) in rows.items():
    ma = statistics.median(a) if a else float("nan")
    mb = statistics.median(b) if b else float("nan")
    lower_better = "ms" in k or "MiB" in k
    ratio = (mb / ma) if lower_better else (ma / mb)
    word = ("smaller" if "RSS" in k else "faster") if ratio >= 1 else ("larger" if "RSS" in k else "slower")
    shown = ratio if ratio >= 1 else 1 / ratio
    print(f"| {k} | {ma:.1f} | {mb:.1f} | {shown:.2f}x {word} |")
PY
