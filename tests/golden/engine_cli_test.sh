#!/bin/bash
# The model commands on the tiny fixtures: `generate` reproduces llama.cpp's prompt ids,
# logits and greedy tokens (testdata/golden/text/f32/f32.scene_512x384.vicuna.json);
# `caption` and `query` (with and without a picture, with a models directory) run and
# answer; bad input gives a clear error and exit code 1.
# Usage: bash tests/golden/engine_cli_test.sh path/to/moondream  (from the repo root)
set -u
BIN=${1:?usage: engine_cli_test.sh path/to/moondream}
F=testdata/fixtures
G=testdata/golden
TEXT=$F/moondream2-tiny-text-f32.gguf
PROJ=$F/moondream2-tiny-mmproj-f32.gguf
PIC=$G/images/scene_512x384.decoded.png
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
check() {  # name, condition exit status
  if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

# generate: token for token as llama.cpp, logits dumped.
"$BIN" generate --model $TEXT --mmproj $PROJ --image $PIC -t 2 \
  -p $'USER: <image>Describe this image.\nASSISTANT:' --temp 0 -n 32 --ignore-eos --json \
  --dump-logits $TMP/logits.f32 >$TMP/gen.json 2>$TMP/gen.err
check "generate exits 0" $?
want_tokens=$(jq -c '[.greedy[].token]' $G/text/f32/f32.scene_512x384.vicuna.json)
want_ids=$(jq -c '.prompt_ids' $G/text/f32/f32.scene_512x384.vicuna.json)
[ "$(jq -c .tokens $TMP/gen.json)" = "$want_tokens" ]
check "generate greedy tokens equal llama.cpp's" $?
[ "$(jq -c .prompt_ids $TMP/gen.json)" = "$want_ids" ]
check "generate prompt_ids equal llama.cpp's" $?
[ "$(stat -c %s $TMP/logits.f32)" = "$((1409 * 4))" ]
check "dump-logits writes n_vocab floats" $?
jq -e '.timings.prefill_tokens_per_s > 0 and .timings.image_encode_ms > 0' $TMP/gen.json >/dev/null
check "generate reports timings" $?

# caption and query through the public engine, greedy, short.
"$BIN" caption $PIC --model $TEXT --mmproj $PROJ --length short --temp 0 -t 2 --json \
  >$TMP/cap.json 2>$TMP/cap.err
check "caption exits 0" $?
jq -e '(.tokens | length) > 0 and (.tokens | length) <= 64' $TMP/cap.json >/dev/null
check "caption answers within the short limit" $?

mkdir -p $TMP/models
ln -s "$PWD/$TEXT" $TMP/models/tiny-text.gguf
ln -s "$PWD/$PROJ" $TMP/models/tiny-mmproj.gguf
"$BIN" query $PIC "What is in the picture?" --models $TMP/models --temp 0 -n 8 -t 2 --json \
  >$TMP/q.json 2>$TMP/q.err
check "query with --models pairs the files" $?
jq -e '(.tokens | length) > 0' $TMP/q.json >/dev/null
check "query answers" $?
"$BIN" query "What is the capital of France?" --model $TEXT --temp 0 -n 8 -t 2 >$TMP/t.out \
  2>$TMP/t.err
check "text-only query exits 0" $?

# Errors: a missing picture, the wrong file as the text model, too many tokens.
"$BIN" caption $TMP/none.png --model $TEXT --mmproj $PROJ >/dev/null 2>$TMP/e1
[ $? -eq 1 ] && grep -q "none.png" $TMP/e1
check "missing picture: exit 1 naming the file" $?
"$BIN" query "hi" --model $PROJ >/dev/null 2>$TMP/e2
[ $? -eq 1 ] && grep -q "phi2" $TMP/e2
check "mmproj as text model: exit 1 naming the architecture" $?
"$BIN" query "hi" --model $TEXT -n 4000 >/dev/null 2>$TMP/e3
[ $? -eq 1 ] && grep -q "context" $TMP/e3
check "max tokens beyond the context: exit 1" $?
exit $fail
