@echo off
rem Installe Maillage depuis ce dossier, sans reseau (Windows, sans droits d'administrateur).
rem Le programme va dans %LOCALAPPDATA%\Maillage\programme ; un raccourci « Maillage » est cree sur le Bureau.
rem Relancer ce script avec un paquet plus recent met Maillage a jour : la base n'est pas touchee.
setlocal
set "HERE=%~dp0"
set "TARGET=%LOCALAPPDATA%\Maillage\programme"
where py >nul 2>nul && (set "PYTHON=py -3") || (set "PYTHON=python")
%PYTHON% -c "import sys; sys.exit(sys.version_info < (3, 11))" || (
  echo Python 3.11 ou plus recent est necessaire : installez-le depuis python.org ^(sans droits d'administrateur : « Install for me only »^).
  exit /b 1
)
%PYTHON% -m venv --clear "%TARGET%" || exit /b 1
"%TARGET%\Scripts\python.exe" -m pip install --quiet --no-index --find-links "%HERE%wheels" maillage || exit /b 1
> "%USERPROFILE%\Desktop\Maillage.bat" echo @"%TARGET%\Scripts\maillage.exe" app
echo Maillage est installe. Double-cliquez sur « Maillage » sur le Bureau, ou lancez :
echo   "%TARGET%\Scripts\maillage.exe" app
endlocal
