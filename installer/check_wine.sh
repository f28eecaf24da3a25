#!/usr/bin/env bash
# Install, inspect and uninstall the capdesk installer under Wine (Debian's wine64), silently.
#
#   apt-get install nsis wine64        # once
#   bash installer/check_wine.sh       # builds dist/ first when needed
#
# What it proves: the NSIS installer and uninstaller run on a Windows API (Wine 8):
# files land in Program Files, shortcuts and the Add/Remove Programs entry are made,
# the switches reach C:\ProgramData\capdesk\policy.ini in a form capdesk's own policy
# loader accepts, a wrong switch stops with exit code 2, an upgrade without switches
# keeps the policy, and a silent uninstall keeps user data unless /REMOVEUSERDATA=1.
# What it cannot prove: the frozen program here is the Linux build (Wine runs the
# installer, not capdesk itself); the Windows build is exercised by
# .github/workflows/windows.yml.
set -uo pipefail
cd "$(dirname "$0")/.."

for tool in wine makensis uv; do
  command -v "$tool" >/dev/null || { echo "check_wine: $tool is not installed" >&2; exit 1; }
done

version=$(uv run python -c 'import capdesk; print(capdesk.__version__)')
setup="dist/capdesk-${version}-setup-linux-check.exe"
if [ ! -f "$setup" ]; then
  if [ -x dist/capdesk/capdesk-cli ]; then
    uv run python installer/build.py --skip-freeze || exit 1
  else
    uv run python installer/build.py || exit 1
  fi
fi

work=$(mktemp -d /tmp/capdesk-wine.XXXXXX)
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
trap 'wineserver -k >/dev/null 2>&1; rm -rf "$work"' EXIT
C="$WINEPREFIX/drive_c"
passed=0
failed=0
check() {  # check "what" command...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    passed=$((passed + 1))
    echo "ok   $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}

echo "check_wine: making a Wine prefix in $WINEPREFIX"
wineboot -i >/dev/null 2>&1
wineserver -w
cp "$setup" "$C/setup.exe"
user_dir=$(find "$C/users" -mindepth 1 -maxdepth 1 -type d ! -name Public | head -1)
log="$user_dir/Temp/capdesk-setup.log"
[ -d "$user_dir/Temp" ] || log="$user_dir/AppData/Local/Temp/capdesk-setup.log"

# The uninstaller deletes capdesk.exe and capdesk-cli.exe by name; the Linux build's
# executables have no .exe, so exactly those two may stay behind here (never on Windows).
only_linux_exes_left() {
  [ ! -e "$app" ] && return 0
  [ "$(cd "$app" && ls -A | sort | tr '\n' ' ')" = "capdesk capdesk-cli " ] || return 1
  rm -rf "$app"
}

run_bat() {  # a batch file passes the command line exactly as cmd.exe would on Windows
  printf '%s\r\nexit /b %%ERRORLEVEL%%\r\n' "$1" >"$C/step.bat"
  wine cmd /c 'C:\step.bat' >/dev/null 2>&1
  local code=$?
  wineserver -w
  return $code
}

pin_hash=$(printf '246810\n' | uv run python -m capdesk.store.pin)
app="$C/Program Files/capdesk"
policy="$C/ProgramData/capdesk/policy.ini"
uninst='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\capdesk'
start_menu="$C/ProgramData/Microsoft/Windows/Start Menu/Programs/capdesk.lnk"
desktop="$C/users/Public/Desktop/capdesk.lnk"

echo "check_wine: silent install with every switch"
check "silent install exits 0" run_bat "C:\\setup.exe /S /CLUSTER=eu /BASEURL=\"https://eu.api.capillarytech.com\" /KIOSK=1 /CLIPBOARDTIMEOUT=20 /IDLETIMEOUT=120 /COUNTRY=GB /CARDMETHOD=post /ADMINPINHASH=\"$pin_hash\" /LOCKED=kiosk,cluster,base_url /DESKTOPSHORTCUT=0"
check "program files installed" test -f "$app/capdesk-cli" -a -f "$app/capdesk" -a -d "$app/_internal"
check "resources beside the program" test -f "$app/resources/capdesk.ico" -a -f "$app/resources/kiosk.qss"
check "uninstaller written" test -f "$app/uninstall.exe"
check "start-menu shortcut" test -f "$start_menu"
check "no desktop shortcut with /DESKTOPSHORTCUT=0" test ! -e "$desktop"
reg_out=$(wine reg query "$uninst" 2>/dev/null | tr -d '\r')
check "ARP DisplayName" grep -q "DisplayName *REG_SZ *capdesk$" <<<"$reg_out"
check "ARP DisplayVersion" grep -q "DisplayVersion *REG_SZ *${version}$" <<<"$reg_out"
check "ARP Publisher" grep -q "Publisher *REG_SZ" <<<"$reg_out"
check "ARP DisplayIcon" grep -q 'DisplayIcon *REG_SZ *C:\\Program Files\\capdesk\\capdesk.exe,0' <<<"$reg_out"
check "ARP QuietUninstallString" grep -q 'QuietUninstallString *REG_SZ *"C:\\Program Files\\capdesk\\uninstall.exe" /S' <<<"$reg_out"
check "ARP EstimatedSize" grep -q "EstimatedSize *REG_DWORD *0x" <<<"$reg_out"
echo "---- policy.ini"
tr -d '\r' <"$policy" | sed 's/^admin_pin_hash=.*/admin_pin_hash=(hash)/'
echo "----"
check "policy.ini read by capdesk's loader, no problems, values locked" \
  env CAPDESK_MACHINE_CONFIG="$C/ProgramData/capdesk" uv run python - <<PY
from capdesk.paths import default_paths
from capdesk.store.pin import verify_pin
from capdesk.store.policy import load_policy
p = load_policy(default_paths())
assert not p.problems, p.problems
v = p.values
assert v["cluster"] == "eu" and v["kiosk"] is True and v["clipboard_timeout"] == 20, v
assert v["base_url"] == "https://eu.api.capillarytech.com" and v["idle_timeout"] == 120, v
assert v["default_country"] == "GB" and v["card_method"] == "POST", v
assert verify_pin("246810", p.admin_pin_hash)
assert p.locked == {"kiosk", "cluster", "base_url"}, p.locked
PY

echo "check_wine: wrong switches stop with exit code 2"
run_bat 'C:\setup.exe /S /CARDMETHOD=PUT'
check "/CARDMETHOD=PUT refused with exit code 2" test $? -eq 2
run_bat 'C:\setup.exe /S /ADMINPIN=1234'
check "plain /ADMINPIN= refused with exit code 2" test $? -eq 2
check "the reason is in %TEMP%\\capdesk-setup.log" grep -q "A plain PIN is never accepted" "$log"
check "the plain PIN is nowhere in the policy" bash -c "! grep -rq 1234 '$C/ProgramData/capdesk'"
run_bat "C:\\setup.exe /S /ADMINPINHASH=${pin_hash:0:40}"
check "a cut-short PIN hash refused with exit code 2" test $? -eq 2

echo "check_wine: upgrade without switches keeps the policy; desktop shortcut by default"
cp "$policy" "$work/policy-before.ini"
check "reinstall exits 0" run_bat 'C:\setup.exe /S'
check "policy.ini unchanged" cmp -s "$policy" "$work/policy-before.ini"
check "desktop shortcut by default" test -f "$desktop"

echo "check_wine: silent uninstall keeps user data"
for who in "$(basename "$user_dir")" clerk; do
  mkdir -p "$C/users/$who/AppData/Local/capdesk/Logs"
  echo "x" >"$C/users/$who/AppData/Local/capdesk/history.sqlite3"
done
wine "C:\\Program Files\\capdesk\\uninstall.exe" /S >/dev/null 2>&1
wineserver -w  # the uninstaller re-runs itself from %TEMP%; wait for that copy too
check "program folder emptied" only_linux_exes_left
check "ARP entry removed" bash -c "! wine reg query '$uninst' >/dev/null 2>&1"
check "shortcuts removed" test ! -e "$start_menu" -a ! -e "$desktop"
check "user data kept (silent default)" test -f "$C/users/clerk/AppData/Local/capdesk/history.sqlite3"
check "machine policy kept" test -f "$policy"

echo "check_wine: /REMOVEUSERDATA=1 removes every profile's data and the policy"
check "install again" run_bat 'C:\setup.exe /S /KIOSK=0'
wine "C:\\Program Files\\capdesk\\uninstall.exe" /S /REMOVEUSERDATA=1 >/dev/null 2>&1
wineserver -w
check "program folder emptied" only_linux_exes_left
check "clerk's data removed" test ! -e "$C/users/clerk/AppData/Local/capdesk"
check "installing user's data removed" test ! -e "$user_dir/AppData/Local/capdesk"
check "machine policy removed" test ! -e "$C/ProgramData/capdesk"

echo "check_wine: /D= into a shared folder; in-place uninstall (_?=) leaves others' files"
mkdir -p "$C/Tools"
echo "not ours" >"$C/Tools/other.txt"
check "install with /D=C:\\Tools" run_bat 'C:\setup.exe /S /D=C:\Tools'
check "installed into C:\\Tools" test -f "$C/Tools/uninstall.exe" -a -d "$C/Tools/_internal"
check "ARP InstallLocation is C:\\Tools" bash -c "wine reg query '$uninst' /v InstallLocation | grep -q 'C:.Tools'"
wine 'C:\Tools\uninstall.exe' /S '_?=C:\Tools' >/dev/null 2>&1
check "in-place uninstall returns when done" bash -c "! wine reg query '$uninst' >/dev/null 2>&1"
check "our files gone" test ! -e "$C/Tools/_internal" -a ! -e "$C/Tools/resources"
check "someone else's file in the folder kept" test -f "$C/Tools/other.txt"
wineserver -w

echo "check_wine: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
