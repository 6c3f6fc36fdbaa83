#!/usr/bin/env bash
# Installs the system libraries the opt-in C backends link against (FFmpeg, libheif, cfitsio),
# the build tools of the vendored C codecs (cmake + nasm for libjpeg-turbo)
# plus clang for bindgen. Idempotent; safe to run on a fresh Debian bookworm machine as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
src=/etc/apt/sources.list.d/debian.sources
if [[ -f $src ]] && ! grep -q 'bookworm-backports' "$src"; then
  $SUDO sed -i '0,/^Suites: bookworm bookworm-updates$/s//Suites: bookworm bookworm-updates bookworm-backports/' "$src"
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  pkg-config clang libclang-dev cmake nasm \
  ffmpeg libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev libavfilter-dev libswresample-dev \
  libcfitsio-dev python3-venv >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports \
  libheif-dev libheif-plugin-x265 libheif-plugin-aomenc libheif-plugin-aomdec \
  libheif-plugin-libde265 libheif-plugin-dav1d libheif-plugin-ffmpegdec >/dev/null
echo "system deps installed: libheif $(pkg-config --modversion libheif), libavcodec $(pkg-config --modversion libavcodec)"
