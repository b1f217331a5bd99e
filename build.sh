#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   ./build.sh run    install what is missing, build, start the recorder on the default spool
#   ./build.sh test   install what is missing, build, run the whole test suite
#   ./build.sh build  install what is missing, build
# Environment: BUILD_DIR (default build), TAP_CMAKE_ARGS (extra cmake arguments),
# CTEST_ARGS (extra ctest arguments, e.g. "-L unit").
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$root/build}
cmd=${1:-}

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

build_all() {
  "$root/scripts/install-deps"
  cmake -S "$root" -B "$build" -G Ninja ${TAP_CMAKE_ARGS:-} >/dev/null
  cmake --build "$build" -j "$(nproc)"
}

case "$cmd" in
  build)
    build_all
    ;;
  run)
    build_all
    shift
    exec "$build/bin/taprec" --foreground "$@"
    ;;
  test)
    build_all
    cd "$build"
    # shellcheck disable=SC2086
    exec ctest --output-on-failure -j "$(nproc)" ${CTEST_ARGS:-}
    ;;
  *)
    usage
    [ "$cmd" = "-h" ] || [ "$cmd" = "--help" ] || exit 2
    ;;
esac
