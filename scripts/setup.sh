#!/usr/bin/env bash
# Install everything Kestrel GCS needs on a Debian/Ubuntu machine, idempotently:
# system libraries (Qt offscreen + X11 window), a Python 3.11 virtualenv in .venv, the project
# and its test tools. Re-running is cheap: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-.venv}"

# Qt needs these even offscreen; the xcb set is for a real window (under X or Xvfb); xvfb lets
# the GUI tests and screenshots run on a machine without a screen.
APT_PACKAGES=(
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libx11-6
  libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1
  libxcb-xfixes0 libxcb-xkb1 libxcb-glx0 libxkbcommon-x11-0 xvfb
  chromium fonts-liberation  # the dashboard's browser tests (Playwright drives /usr/bin/chromium; no browser download)
  mosquitto  # the MQTT broker the fleet tests start on a loopback port (never as a service)
  openssl  # the fleet TLS test makes its own CA and broker certificate
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo "setup: installing system packages with sudo: ${missing[*]}"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing; install them and re-run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v "$PYTHON" >/dev/null; then
  echo "setup: $PYTHON not found. Kestrel GCS needs Python 3.11 (Debian bookworm: apt-get install python3.11 python3.11-venv)." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.kestrel-installed"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into $VENV (first time takes a few minutes)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # torch first, pinned to the CPU-usable wheels this platform's pip finds locally; ultralytics
  # would otherwise pull a newer CUDA build of several GB.
  if [ "$(uname -m)" = "aarch64" ]; then
    "$VENV/bin/python" -m pip install -q "torch==2.9.1" "torchvision==0.24.1"
  else
    "$VENV/bin/python" -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
  fi
  "$VENV/bin/python" -m pip install -q -e ".[dev,smart]"
  # ultralytics pulls opencv-python, which writes the same cv2/ folder without CSRT/KCF:
  # remove it and lay the contrib headless build back on top.
  "$VENV/bin/python" -m pip uninstall -y -q opencv-python opencv-python-headless opencv-contrib-python 2>/dev/null || true
  "$VENV/bin/python" -m pip install -q --no-deps --force-reinstall \
    "opencv-contrib-python-headless==$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("opencv-contrib-python-headless"))')"
  # Fail loudly if another package swapped OpenCV for a build without CSRT/KCF.
  "$VENV/bin/python" -c "import cv2; cv2.TrackerCSRT_create" \
    || { echo "setup: OpenCV lacks the contrib trackers (CSRT); reinstall opencv-contrib-python-headless" >&2; exit 1; }
  # MAVProxy (the third-party client tests) without its map/3D extras: its wheel requires vtk,
  # matplotlib and opencv-python (which would overwrite cv2/ again); headless it needs only
  # pymavlink, pyserial, numpy, defusedxml and pynmeagps, all in .[dev].
  "$VENV/bin/python" -m pip install -q --no-deps "MAVProxy==1.8.75"
  "$VENV/bin/python" -c "import MAVProxy, mavsdk_grpc" && [ -x "$VENV/bin/mavproxy.py" ] \
    || { echo "setup: MAVProxy or mavsdk-grpc did not install" >&2; exit 1; }
  # H.264 out and recording need PyAV's FFmpeg with libx264 (the PyPI wheels have it).
  "$VENV/bin/python" -c "import av; av.codec.Codec('libx264', 'w')" \
    || { echo "setup: PyAV has no libx264 encoder; reinstall av from PyPI's wheels" >&2; exit 1; }
  # WebRTC: aiortc on the same PyAV (aiortc 1.16.0 is the first to accept av 18).
  "$VENV/bin/python" -c "import aiortc, av; assert av.__version__ == '18.1.0', av.__version__" \
    || { echo "setup: aiortc is missing or pulled another PyAV (aiortc==1.16.0 goes with av==18.1.0)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
