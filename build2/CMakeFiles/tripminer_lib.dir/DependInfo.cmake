
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/app/cli.c" "CMakeFiles/tripminer_lib.dir/src/app/cli.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/app/cli.c.o.d"
  "/work/main/src/app/optrows.c" "CMakeFiles/tripminer_lib.dir/src/app/optrows.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/app/optrows.c.o.d"
  "/work/main/src/app/opts.c" "CMakeFiles/tripminer_lib.dir/src/app/opts.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/app/opts.c.o.d"
  "/work/main/src/app/summary.c" "CMakeFiles/tripminer_lib.dir/src/app/summary.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/app/summary.c.o.d"
  "/work/main/src/app/synth.c" "CMakeFiles/tripminer_lib.dir/src/app/synth.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/app/synth.c.o.d"
  "/work/main/src/base/buf.c" "CMakeFiles/tripminer_lib.dir/src/base/buf.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/buf.c.o.d"
  "/work/main/src/base/err.c" "CMakeFiles/tripminer_lib.dir/src/base/err.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/err.c.o.d"
  "/work/main/src/base/fault.c" "CMakeFiles/tripminer_lib.dir/src/base/fault.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/fault.c.o.d"
  "/work/main/src/base/fpenv.c" "CMakeFiles/tripminer_lib.dir/src/base/fpenv.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/fpenv.c.o.d"
  "/work/main/src/base/json.c" "CMakeFiles/tripminer_lib.dir/src/base/json.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/json.c.o.d"
  "/work/main/src/base/log.c" "CMakeFiles/tripminer_lib.dir/src/base/log.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/log.c.o.d"
  "/work/main/src/base/optwalk.c" "CMakeFiles/tripminer_lib.dir/src/base/optwalk.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/optwalk.c.o.d"
  "/work/main/src/base/outpath.c" "CMakeFiles/tripminer_lib.dir/src/base/outpath.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/outpath.c.o.d"
  "/work/main/src/base/publish.c" "CMakeFiles/tripminer_lib.dir/src/base/publish.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/publish.c.o.d"
  "/work/main/src/base/watchdog.c" "CMakeFiles/tripminer_lib.dir/src/base/watchdog.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/base/watchdog.c.o.d"
  "/work/main/src/comm/exchange.c" "CMakeFiles/tripminer_lib.dir/src/comm/exchange.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/comm/exchange.c.o.d"
  "/work/main/src/comm/heard.c" "CMakeFiles/tripminer_lib.dir/src/comm/heard.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/comm/heard.c.o.d"
  "/work/main/src/comm/shard.c" "CMakeFiles/tripminer_lib.dir/src/comm/shard.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/comm/shard.c.o.d"
  "/work/main/src/core/exact.c" "CMakeFiles/tripminer_lib.dir/src/core/exact.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/exact.c.o.d"
  "/work/main/src/core/kbf16.c" "CMakeFiles/tripminer_lib.dir/src/core/kbf16.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/kbf16.c.o.d"
  "/work/main/src/core/kern.c" "CMakeFiles/tripminer_lib.dir/src/core/kern.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/kern.c.o.d"
  "/work/main/src/core/kernels.c" "CMakeFiles/tripminer_lib.dir/src/core/kernels.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/kernels.c.o.d"
  "/work/main/src/core/kf32.c" "CMakeFiles/tripminer_lib.dir/src/core/kf32.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/kf32.c.o.d"
  "/work/main/src/core/kint8.c" "CMakeFiles/tripminer_lib.dir/src/core/kint8.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/kint8.c.o.d"
  "/work/main/src/core/loss.c" "CMakeFiles/tripminer_lib.dir/src/core/loss.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/loss.c.o.d"
  "/work/main/src/core/metric.c" "CMakeFiles/tripminer_lib.dir/src/core/metric.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/core/metric.c.o.d"
  "/work/main/src/engines/batchhard.c" "CMakeFiles/tripminer_lib.dir/src/engines/batchhard.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/batchhard.c.o.d"
  "/work/main/src/engines/count.c" "CMakeFiles/tripminer_lib.dir/src/engines/count.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/count.c.o.d"
  "/work/main/src/engines/gaps.c" "CMakeFiles/tripminer_lib.dir/src/engines/gaps.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/gaps.c.o.d"
  "/work/main/src/engines/nearest.c" "CMakeFiles/tripminer_lib.dir/src/engines/nearest.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/nearest.c.o.d"
  "/work/main/src/engines/pick.c" "CMakeFiles/tripminer_lib.dir/src/engines/pick.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/pick.c.o.d"
  "/work/main/src/engines/prefilter.c" "CMakeFiles/tripminer_lib.dir/src/engines/prefilter.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/prefilter.c.o.d"
  "/work/main/src/engines/retrieval.c" "CMakeFiles/tripminer_lib.dir/src/engines/retrieval.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/retrieval.c.o.d"
  "/work/main/src/engines/triplets.c" "CMakeFiles/tripminer_lib.dir/src/engines/triplets.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/engines/triplets.c.o.d"
  "/work/main/src/inspect/inspect.c" "CMakeFiles/tripminer_lib.dir/src/inspect/inspect.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/inspect/inspect.c.o.d"
  "/work/main/src/inspect/read.c" "CMakeFiles/tripminer_lib.dir/src/inspect/read.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/inspect/read.c.o.d"
  "/work/main/src/inspect/stats.c" "CMakeFiles/tripminer_lib.dir/src/inspect/stats.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/inspect/stats.c.o.d"
  "/work/main/src/inspect/svg.c" "CMakeFiles/tripminer_lib.dir/src/inspect/svg.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/inspect/svg.c.o.d"
  "/work/main/src/io/evalfmt.c" "CMakeFiles/tripminer_lib.dir/src/io/evalfmt.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/evalfmt.c.o.d"
  "/work/main/src/io/evalread.c" "CMakeFiles/tripminer_lib.dir/src/io/evalread.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/evalread.c.o.d"
  "/work/main/src/io/evalwrite.c" "CMakeFiles/tripminer_lib.dir/src/io/evalwrite.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/evalwrite.c.o.d"
  "/work/main/src/io/format.c" "CMakeFiles/tripminer_lib.dir/src/io/format.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/format.c.o.d"
  "/work/main/src/io/h5in.c" "CMakeFiles/tripminer_lib.dir/src/io/h5in.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/h5in.c.o.d"
  "/work/main/src/io/h5open.c" "CMakeFiles/tripminer_lib.dir/src/io/h5open.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/h5open.c.o.d"
  "/work/main/src/io/h5out.c" "CMakeFiles/tripminer_lib.dir/src/io/h5out.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/h5out.c.o.d"
  "/work/main/src/io/h5rows.c" "CMakeFiles/tripminer_lib.dir/src/io/h5rows.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/h5rows.c.o.d"
  "/work/main/src/io/h5util.c" "CMakeFiles/tripminer_lib.dir/src/io/h5util.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/h5util.c.o.d"
  "/work/main/src/io/outread.c" "CMakeFiles/tripminer_lib.dir/src/io/outread.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/io/outread.c.o.d"
  "/work/main/src/rules/eval.c" "CMakeFiles/tripminer_lib.dir/src/rules/eval.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/rules/eval.c.o.d"
  "/work/main/src/rules/hard.c" "CMakeFiles/tripminer_lib.dir/src/rules/hard.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/rules/hard.c.o.d"
  "/work/main/src/rules/registry.c" "CMakeFiles/tripminer_lib.dir/src/rules/registry.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/rules/registry.c.o.d"
  "/work/main/src/rules/sample.c" "CMakeFiles/tripminer_lib.dir/src/rules/sample.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/rules/sample.c.o.d"
  "/work/main/src/rules/semihard.c" "CMakeFiles/tripminer_lib.dir/src/rules/semihard.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/rules/semihard.c.o.d"
  "/work/main/src/rules/topk.c" "CMakeFiles/tripminer_lib.dir/src/rules/topk.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/rules/topk.c.o.d"
  "/work/main/src/run/budget.c" "CMakeFiles/tripminer_lib.dir/src/run/budget.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/budget.c.o.d"
  "/work/main/src/run/ckpt.c" "CMakeFiles/tripminer_lib.dir/src/run/ckpt.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/ckpt.c.o.d"
  "/work/main/src/run/defaults.c" "CMakeFiles/tripminer_lib.dir/src/run/defaults.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/defaults.c.o.d"
  "/work/main/src/run/evalcalc.c" "CMakeFiles/tripminer_lib.dir/src/run/evalcalc.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/evalcalc.c.o.d"
  "/work/main/src/run/inputs.c" "CMakeFiles/tripminer_lib.dir/src/run/inputs.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/inputs.c.o.d"
  "/work/main/src/run/mine.c" "CMakeFiles/tripminer_lib.dir/src/run/mine.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/mine.c.o.d"
  "/work/main/src/run/output.c" "CMakeFiles/tripminer_lib.dir/src/run/output.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/output.c.o.d"
  "/work/main/src/run/placement.c" "CMakeFiles/tripminer_lib.dir/src/run/placement.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/placement.c.o.d"
  "/work/main/src/run/progress.c" "CMakeFiles/tripminer_lib.dir/src/run/progress.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/progress.c.o.d"
  "/work/main/src/run/sweep.c" "CMakeFiles/tripminer_lib.dir/src/run/sweep.c.o" "gcc" "CMakeFiles/tripminer_lib.dir/src/run/sweep.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
