# The static ffmpeg builds Soundtime runs, pinned by version, npm integrity (SHA-512 of the
# package tarball, as in package-lock.json) and SHA-256 of the ffmpeg binary inside it.
# Read by ../../Makefile (make tools: the x86_64 build under node_modules), ./Makefile (the
# Lambda layers) and layer_test.go, which checks them against package.json and package-lock.json.
#
# Both are John Van Sickle's static builds, GPLv3 (--enable-gpl --enable-version3), from 2018 and
# 2019: see README.md in this folder for why these, the caveat, and how to swap in a current
# build (FFMPEG_BIN_<ARCH> / FFMPEG_SHA256_<ARCH>, see ./Makefile).

# ffmpeg N-47683-g0e8eb07980 (2018-12-10), 68 MB, static x86-64.
FFMPEG_NPM_X86_64           := @ffmpeg-installer/linux-x64
FFMPEG_NPM_VERSION_X86_64   := 4.1.0
FFMPEG_NPM_INTEGRITY_X86_64 := sha512-Y5BWhGLU/WpQjOArNIgXD3z5mxxdV8c41C+U15nsE5yF8tVcdCGet5zPs5Zy3Ta6bU7haGpIzryutqCGQA/W8A==
FFMPEG_NPM_SHA256_X86_64    := 6d0c625dbd3f604ed2618981ba6fee7e29678855ab741d654cfc9effb0226624

# ffmpeg N-49006-gd81913e680 (2019-06-05), 33 MB, static aarch64: the layer Lambda runs.
FFMPEG_NPM_ARM64            := @ffmpeg-installer/linux-arm64
FFMPEG_NPM_VERSION_ARM64    := 4.1.4
FFMPEG_NPM_INTEGRITY_ARM64  := sha512-dljEqAOD0oIM6O6DxBW9US/FkvqvQwgJ2lGHOwHDDwu/pX8+V0YsDL1xqHbj1DMX/+nP9rxw7G7gcUvGspSoKg==
FFMPEG_NPM_SHA256_ARM64     := 115a825e246078acf820ea2afcaf1b3ff87f1b93f7035ecad38d3223cca55297
