set -x
cd $WORKTREE
PY="env PYTHONPATH=$WORKTREE /work/main/.venv/bin/python -m visuotactile_grasp.cli"
date
$PY train --data /work/main/data/paper_v2 --data /work/main/data/onpolicy_v2 --data /work/main/data/first10_v2 \
    --model tactile_vision --backbone efficientnet_lite0 --init-seed 1 --out /work/main/out/seeds/tv_first10_init1 || exit 1
date
$PY train --data /work/main/data/paper_v2 --data /work/main/data/onpolicy_v2 \
    --model tactile_vision --backbone efficientnet_lite0 --init-seed 1 --out /work/main/out/seeds/tv_onpolicy_init1 || exit 1
date
for m in first10_init1:/work/main/out/seeds/tv_first10_init1 onpolicy_init1:/work/main/out/seeds/tv_onpolicy_init1 first10_init0:/work/main/out/first10/tactile_vision_lite0_first10 onpolicy_init0:/work/main/models/tactile_vision_lite0_onpolicy; do
  name=${m%%:*}; run=${m#*:}
  $PY evaluate --sim --tactile-vision $run --sets val --trials 20 --constant-forces '' --min-force-trials 0 \
     --held-out-gels --objects-library v2 --workers 2 --out /work/main/out/seeds/val_$name || exit 1
  date
done
