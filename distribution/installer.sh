#!/bin/sh
# Installe Maillage depuis ce dossier, sans réseau (macOS, Linux).
# Usage : sh installer.sh            puis : maillage app
# Le programme va dans ~/.local/share/maillage/programme (ou $MAILLAGE_PROGRAMME), la commande
# « maillage » dans ~/.local/bin. Relancer ce script avec un paquet plus récent met Maillage à jour :
# la base et les sauvegardes ne sont pas touchées (une copie est faite au premier démarrage).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "Python 3.11 ou plus récent est nécessaire : installez-le (python.org, ou le gestionnaire de paquets)." >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python $("$python" -c 'import platform; print(platform.python_version())') est trop ancien : Maillage demande Python 3.11 ou plus récent." >&2
  exit 1
fi
target=${MAILLAGE_PROGRAMME:-$HOME/.local/share/maillage/programme}
"$python" -m venv --clear "$target"
"$target/bin/python" -m pip install --quiet --no-index --find-links "$here/wheels" maillage
mkdir -p "$HOME/.local/bin"
ln -sf "$target/bin/maillage" "$HOME/.local/bin/maillage"
echo "Maillage est installé ($("$target/bin/maillage" --version | head -1))."
echo "Lancez-le avec : maillage app   (ou $target/bin/maillage app si ~/.local/bin n'est pas dans le PATH)"
