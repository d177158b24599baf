#!/usr/bin/env bash
# Train several demo-model configurations side by side on one GPU (dev only).
#
#   tools/train/gpu_train.sh PACK OUT MINUTES ['NAME:train_torch.py options' ...]
#
# Without configurations, the three that made the shipped model's run (a, b, c below).
# PACK is a bundle made by pack.py; each configuration writes OUT/<name>/best_weights.npz
# (updated after every dev evaluation, so a run cut short still leaves weights) and
# OUT/<name>/log.txt (progress, then the summary). Needs python3 with torch and numpy; this is
# the script run on the lent GPU machine (see README.md in this folder). PACK and the tracked
# tree must fit the device's 64 MiB upload: `pack.py --levels 32 --splits train,train2,train3,dev`
# makes a 42 MB bundle (the 64-level one of session 3 is 56 MB, too big beside the 17 MB tree).
set -u
pack=$1
out=$2
minutes=$3
shift 3
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -c "import numpy, torch; print('numpy', numpy.__version__, 'torch', torch.__version__, torch.cuda.is_available())"

run() {
  local name=$1
  shift
  mkdir -p "$out/$name"
  (
    python3 tools/train/train_torch.py --pack "$pack" --out "$out/$name" --minutes "$minutes" "$@" \
      > "$out/$name/log.txt" 2>&1
    echo "exit $?" >> "$out/$name/log.txt"
    rm -f "$out/$name/checkpoint.pt"  # for --resume on the same machine: a lent one is gone after the run
    if [ -f "$out/$name/summary.json" ]; then
      cat "$out/$name/summary.json" >> "$out/$name/log.txt"
      rm "$out/$name/summary.json"
    fi
  ) &
}

if [ "$#" -eq 0 ]; then
  run a --n-hidden 512 --dropout 0.15
  run b --n-hidden 512 --dropout 0.25 --feature-noise 0.1
  run c --n-hidden 600 --dropout 0.2 --save-dtype float16
else
  for config in "$@"; do
    # shellcheck disable=SC2086  # the options are meant to split into words
    run "${config%%:*}" ${config#*:}
  done
fi
wait
for f in "$out"/*/log.txt; do
  echo "== $f"
  grep -E "^device|best weights|export check|^final|^exit|Error|error" "$f" | head -20
  grep -E " min epoch" "$f" | tail -4
done
