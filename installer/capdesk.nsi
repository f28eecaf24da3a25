; capdesk installer: NSIS 3, Modern UI 2, Unicode, per-machine, fully offline.
;
; Built by installer/build.py, which passes:
;   -DVERSION=0.1.0 -DVERSION4=0.1.0.0 -DDIST_DIR=<dist/capdesk> -DOUT_FILE=<setup.exe>
;   -DICON=<resources/capdesk.ico>
; It needs makensis with the amd64-unicode stubs (Debian's nsis; on Windows MSYS2's).
;
; Silent install (every switch is optional; see installer/README.md):
;   capdesk-0.1.0-setup.exe /S /CLUSTER=eu /KIOSK=1 /CLIPBOARDTIMEOUT=20 /COUNTRY=IN
;       /CARDMETHOD=POST /ADMINPINHASH=pbkdf2_sha256$... /IDLETIMEOUT=120
;       /LOCKED=kiosk,cluster /BASEURL=https://... /DESKTOPSHORTCUT=0  [/D=C:\path]
; The switches are written to C:\ProgramData\capdesk\policy.ini, section [capdesk],
; which the app reads and which locks those settings for staff.
; Values may contain "/" (URLs, the hash); quote a value that contains spaces.
; Silent uninstall: uninstall.exe /S [/REMOVEUSERDATA=1]
; Exit codes: 0 done, 1 cancelled, 2 a switch was wrong (reason in %TEMP%\capdesk-setup.log).

!ifndef VERSION
  !error "VERSION is not defined: build with installer/build.py"
!endif
!ifndef VERSION4
  !error "VERSION4 (four numbers) is not defined"
!endif
!ifndef DIST_DIR
  !error "DIST_DIR (the PyInstaller dist/capdesk folder) is not defined"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "capdesk-${VERSION}-setup.exe"
!endif
!ifndef ICON
  !define ICON "..\resources\capdesk.ico"
!endif

; One installer everywhere: a 64-bit, Unicode stub, whether built on Windows or Debian.
; An x86 stub read the previous install folder through WOW6432Node (see .onInit), and
; the wine check, built with amd64 stubs, could not see it.
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID /FINAL lzma
SetCompressorDictSize 64

!define APP "capdesk"
!define APP_EXE "capdesk.exe"
!define CLI_EXE "capdesk-cli.exe"
!define PUBLISHER "capdesk project"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\capdesk"
!define POLICY_SECTION "capdesk"
!define LOG_NAME "capdesk-setup.log"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"
!include "Sections.nsh"

Name "${APP} ${VERSION}"
OutFile "${OUT_FILE}"
InstallDir "$PROGRAMFILES64\${APP}"
; No InstallDirRegKey: it is read before .onInit can switch to the 64-bit registry view;
; .onInit reads the previous folder itself (ReadPreviousInstallDir).
RequestExecutionLevel admin
ShowInstDetails show
ShowUninstDetails show
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=1033 "ProductName" "${APP}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APP} ${VERSION} setup"
VIAddVersionKey /LANG=1033 "LegalCopyright" "(c) ${PUBLISHER}"

; --- pages -----------------------------------------------------------------------------

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC
!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP} now"
!define MUI_FINISHPAGE_RUN_FUNCTION StartUnelevated

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; --- switches --------------------------------------------------------------------------

Var Cluster
Var BaseUrl
Var Kiosk
Var ClipboardTimeout
Var Country
Var CardMethod
Var PinHash
Var IdleTimeout
Var Locked
Var DesktopShortcut
Var RemoveUserData
Var PolicyDir

; Append a line to %TEMP%\capdesk-setup.log (silent installs have no other voice).
!macro Log text
  Push `${text}`
  Call WriteLog
!macroend
!macro unLog text
  Push `${text}`
  Call un.WriteLog
!macroend

!macro DefineLog prefix
  Function ${prefix}WriteLog
    Exch $9
    Push $8
    ClearErrors
    FileOpen $8 "$TEMP\${LOG_NAME}" a
    ${IfNot} ${Errors}
      FileSeek $8 0 END
      FileWrite $8 "$9$\r$\n"
      FileClose $8
    ${EndIf}
    DetailPrint "$9"
    Pop $8
    Pop $9
  FunctionEnd
!macroend
!insertmacro DefineLog ""
!insertmacro DefineLog "un."

; Stop with exit code 2 and say why (a message box unless silent, and the log).
!macro Refuse text
  !insertmacro Log `capdesk setup: ${text}`
  MessageBox MB_ICONSTOP|MB_OK `${text}` /SD IDOK
  SetErrorLevel 2
  Quit
!macroend

; Switch parsing. FileFunc's GetOptions ends a value at any "/", which would cut URLs
; and the base64 in a PIN hash short; here a value ends only at the next " /" (space,
; slash), or, when it starts with a double quote, at the closing quote. Names are
; matched without regard to case. In: $R0 = the command line, the name on the stack
; (for example "/CLUSTER="). Out: $R1 = the value, error flag set when absent.
!macro DefineGetSwitch prefix
  Function ${prefix}GetSwitch
    Exch $R9
    Push $R8
    Push $R7
    Push $R6
    Push $R5
    StrLen $R7 $R9
    StrLen $R5 $R0
    StrCpy $R8 0
    StrCpy $R1 ""
    ${Do}
      ${If} $R8 >= $R5
        SetErrors
        Goto done
      ${EndIf}
      StrCpy $R6 $R0 $R7 $R8
      ${If} $R6 == $R9
        ${IfThen} $R8 == 0 ${|} ${ExitDo} ${|}
        IntOp $R6 $R8 - 1
        StrCpy $R6 $R0 1 $R6
        ${IfThen} $R6 == " " ${|} ${ExitDo} ${|}
      ${EndIf}
      IntOp $R8 $R8 + 1
    ${Loop}
    IntOp $R8 $R8 + $R7
    StrCpy $R1 $R0 "" $R8
    StrCpy $R6 $R1 1
    ${If} $R6 == '"'
      StrCpy $R1 $R1 "" 1
      StrCpy $R8 0
      ${Do}
        StrCpy $R6 $R1 1 $R8
        ${If} $R6 == '"'
        ${OrIf} $R6 == ""
          ${ExitDo}
        ${EndIf}
        IntOp $R8 $R8 + 1
      ${Loop}
      StrCpy $R1 $R1 $R8
    ${Else}
      StrCpy $R8 0
      ${Do}
        StrCpy $R6 $R1 2 $R8
        ${If} $R6 == " /"
        ${OrIf} $R6 == ""
          ${ExitDo}
        ${EndIf}
        IntOp $R8 $R8 + 1
      ${Loop}
      StrCpy $R1 $R1 $R8
      ${Do}
        StrCpy $R6 $R1 1 -1
        ${IfThen} $R6 != " " ${|} ${ExitDo} ${|}
        StrCpy $R1 $R1 -1
      ${Loop}
    ${EndIf}
    ClearErrors
    done:
    Pop $R5
    Pop $R6
    Pop $R7
    Pop $R8
    Pop $R9
  FunctionEnd
!macroend
!insertmacro DefineGetSwitch ""
!insertmacro DefineGetSwitch "un."

; Sets $R1 to the switch's value, "" when absent (from $R0, the command line).
!macro ReadOption name
  Push "/${name}="
  Call GetSwitch
  ${If} ${Errors}
    StrCpy $R1 ""
  ${EndIf}
!macroend

; Refuse unless $R1 is empty or only the digits 0-9.
Function CheckDigits
  Exch $R9  ; the switch name, for the message
  Push $R8
  Push $R7
  StrCpy $R7 0
  ${Do}
    StrCpy $R8 $R1 1 $R7
    ${IfThen} $R8 == "" ${|} ${ExitDo} ${|}
    ${If} $R8 S< "0"
    ${OrIf} $R8 S> "9"
      !insertmacro Refuse "/$R9= must be a whole number of seconds, not $\"$R1$\"."
    ${EndIf}
    IntOp $R7 $R7 + 1
  ${Loop}
  Pop $R7
  Pop $R8
  Pop $R9
FunctionEnd

Function ReadSwitches
  ${GetParameters} $R0

  Push "/ADMINPIN="
  Call GetSwitch
  ${IfNot} ${Errors}
    !insertmacro Refuse "A plain PIN is never accepted on the command line. Pass /ADMINPINHASH= with the hash printed by 'capdesk-cli.exe hash-pin'."
  ${EndIf}

  !insertmacro ReadOption "CLUSTER"
  StrCpy $Cluster $R1
  !insertmacro ReadOption "BASEURL"
  StrCpy $BaseUrl $R1
  ${If} $BaseUrl != ""
    StrCpy $R2 $BaseUrl 8
    ${If} $R2 != "https://"
      !insertmacro Refuse "/BASEURL= must be a full https:// address, for example /BASEURL=$\"https://eu.api.capillarytech.com$\" (got $\"$BaseUrl$\")."
    ${EndIf}
  ${EndIf}

  !insertmacro ReadOption "KIOSK"
  ${If} $R1 == ""
  ${OrIf} $R1 == "0"
  ${OrIf} $R1 == "1"
    StrCpy $Kiosk $R1
  ${Else}
    !insertmacro Refuse "/KIOSK= must be 0 or 1, not $\"$R1$\"."
  ${EndIf}

  !insertmacro ReadOption "CLIPBOARDTIMEOUT"
  Push "CLIPBOARDTIMEOUT"
  Call CheckDigits
  StrCpy $ClipboardTimeout $R1

  !insertmacro ReadOption "IDLETIMEOUT"
  Push "IDLETIMEOUT"
  Call CheckDigits
  StrCpy $IdleTimeout $R1

  !insertmacro ReadOption "COUNTRY"
  StrCpy $Country $R1
  StrLen $R2 $Country
  ${If} $R2 != 0
  ${AndIf} $R2 != 2
    !insertmacro Refuse "/COUNTRY= must be a two-letter country code such as IN or GB, not $\"$Country$\"."
  ${EndIf}

  !insertmacro ReadOption "CARDMETHOD"
  ${If} $R1 == ""
    StrCpy $CardMethod ""
  ${ElseIf} $R1 == "GET"  ; LogicLib == compares without case
    StrCpy $CardMethod "GET"
  ${ElseIf} $R1 == "POST"
    StrCpy $CardMethod "POST"
  ${Else}
    !insertmacro Refuse "/CARDMETHOD= must be GET or POST, not $\"$R1$\"."
  ${EndIf}

  !insertmacro ReadOption "ADMINPINHASH"
  StrCpy $PinHash $R1
  ${If} $PinHash != ""
    StrCpy $R2 $PinHash 14
    StrCpy $R3 $PinHash 1 -1
    StrLen $R4 $PinHash
    ${If} $R2 != "pbkdf2_sha256$$"
    ${OrIf} $R3 != "="
    ${OrIf} $R4 < 80
      !insertmacro Refuse "/ADMINPINHASH= is not a whole PIN hash. Make one with 'capdesk-cli.exe hash-pin' and copy all of it, in double quotes."
    ${EndIf}
  ${EndIf}

  !insertmacro ReadOption "LOCKED"
  StrCpy $Locked $R1

  !insertmacro ReadOption "DESKTOPSHORTCUT"
  ${If} $R1 == ""
  ${OrIf} $R1 == "0"
  ${OrIf} $R1 == "1"
    StrCpy $DesktopShortcut $R1
  ${Else}
    !insertmacro Refuse "/DESKTOPSHORTCUT= must be 0 or 1, not $\"$R1$\"."
  ${EndIf}
FunctionEnd

; --- install ---------------------------------------------------------------------------

Section "${APP} (required)" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; An upgrade: drop the previous version's libraries so no stale file lingers.
  RMDir /r "$INSTDIR\_internal"
  RMDir /r "$INSTDIR\resources"
  Delete "$DESKTOP\${APP}.lnk"
  File /r "${DIST_DIR}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0

  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" "$0"

  Call WritePolicy
SectionEnd

Section "Desktop shortcut" SecDesktop
  CreateShortcut "$DESKTOP\${APP}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecMain} "The ${APP} program and a Start-menu shortcut."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "A ${APP} shortcut on every user's desktop."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

!macro PolicyValue key value
  ${If} ${value} != ""
    WriteINIStr "$PolicyDir\policy.ini" "${POLICY_SECTION}" "${key}" "${value}"
    !insertmacro Log "capdesk setup: policy ${key} set"
  ${EndIf}
!macroend

; Write the switches given into C:\ProgramData\capdesk\policy.ini. Keys not given are
; left as they are, so an upgrade without switches keeps IT's earlier settings.
Function WritePolicy
  CreateDirectory "$PolicyDir"
  ; Only administrators and SYSTEM may change the policy; users may read it. Without this,
  ; ProgramData's default rights would let any user create policy.ini for everyone.
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$PolicyDir" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX'
  Pop $0
  ${If} $0 != 0
    !insertmacro Log "capdesk setup: could not restrict the rights of $PolicyDir (icacls: $0)"
  ${EndIf}
  !insertmacro PolicyValue "cluster" $Cluster
  !insertmacro PolicyValue "base_url" $BaseUrl
  !insertmacro PolicyValue "kiosk" $Kiosk
  !insertmacro PolicyValue "clipboard_timeout" $ClipboardTimeout
  !insertmacro PolicyValue "default_country" $Country
  !insertmacro PolicyValue "card_method" $CardMethod
  !insertmacro PolicyValue "admin_pin_hash" $PinHash
  !insertmacro PolicyValue "idle_timeout" $IdleTimeout
  !insertmacro PolicyValue "locked" $Locked
  FlushINI "$PolicyDir\policy.ini"
FunctionEnd

; The finish page runs as the administrator who installed; start the app through
; Explorer instead so it runs as the signed-in user (their keyring, their settings).
Function StartUnelevated
  Exec '"$WINDIR\explorer.exe" "$INSTDIR\${APP_EXE}"'
FunctionEnd

; An upgrade goes into the folder of the installed version, so a /D= install is not
; orphaned by a second copy in Program Files. Read from the 64-bit view (where the
; Section writes InstallLocation), so only after SetRegView 64. /D= still wins: NSIS
; puts it into $INSTDIR before .onInit, and only the unchanged default is replaced.
Function ReadPreviousInstallDir
  ${If} $INSTDIR != "$PROGRAMFILES64\${APP}"
    Return  ; /D= was given
  ${EndIf}
  ClearErrors
  ReadRegStr $0 HKLM "${UNINST_KEY}" "InstallLocation"
  ${If} ${Errors}
  ${OrIf} $0 == ""
    Return  ; a first install
  ${EndIf}
  StrCpy $INSTDIR $0
  !insertmacro Log "capdesk setup: upgrading the copy in $INSTDIR"
FunctionEnd

Function .onInit
  ${IfNot} ${RunningX64}
    !insertmacro Refuse "${APP} needs 64-bit Windows."
  ${EndIf}
  SetRegView 64
  Call ReadPreviousInstallDir
  SetShellVarContext all
  StrCpy $PolicyDir "$APPDATA\${APP}"  ; all users' AppData = C:\ProgramData
  Call ReadSwitches
  ${If} $DesktopShortcut == "0"
    !insertmacro UnselectSection ${SecDesktop}
  ${EndIf}
FunctionEnd

; --- uninstall -------------------------------------------------------------------------

Function un.onInit
  SetRegView 64
  SetShellVarContext all
  StrCpy $PolicyDir "$APPDATA\${APP}"
  ${un.GetParameters} $R0
  Push "/REMOVEUSERDATA="
  Call un.GetSwitch
  StrCpy $RemoveUserData $R1
  ${If} ${Errors}
    StrCpy $RemoveUserData ""
  ${EndIf}
FunctionEnd

; Settings, card-number history and logs of every user (%LOCALAPPDATA%\capdesk in each
; profile) and the machine policy. Saved till sign-ins live in each user's Windows
; Credential Manager and are removed by signing out in capdesk.
Function un.RemoveUserData
  RMDir /r "$PolicyDir"
  SetShellVarContext current
  RMDir /r "$LOCALAPPDATA\${APP}"
  SetShellVarContext all
  ReadRegStr $0 HKLM "SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList" "ProfilesDirectory"
  ExpandEnvStrings $0 $0
  ${If} $0 != ""
    FindFirst $1 $2 "$0\*"
    ${DoWhile} $2 != ""
      ${If} $2 != "."
      ${AndIf} $2 != ".."
      ${AndIf} ${FileExists} "$0\$2\AppData\Local\${APP}\*.*"
        RMDir /r "$0\$2\AppData\Local\${APP}"
      ${EndIf}
      FindNext $1 $2
    ${Loop}
    FindClose $1
  ${EndIf}
  !insertmacro unLog "capdesk uninstall: removed user data and the machine policy"
FunctionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${APP}.lnk"
  Delete "$DESKTOP\${APP}.lnk"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  RMDir /r "$INSTDIR\_internal"
  RMDir /r "$INSTDIR\resources"
  ; Run in place (uninstall.exe /S _?=<folder>, for tools that must wait), the running
  ; uninstaller cannot delete itself: it and the empty folder go at the next restart.
  Delete /REBOOTOK "$INSTDIR\uninstall.exe"
  RMDir /REBOOTOK "$INSTDIR"  ; only if empty: never a folder with files we did not put there
  DeleteRegKey HKLM "${UNINST_KEY}"

  ${If} $RemoveUserData == ""
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 \
      "Also remove ${APP}'s settings, card-number history and logs for every user of this PC, and the machine settings written by IT?$\n$\nChoose No to keep them for a later reinstall." \
      /SD IDNO IDYES remove IDNO keep
  ${ElseIf} $RemoveUserData == "1"
    Goto remove
  ${EndIf}
  Goto keep
  remove:
    Call un.RemoveUserData
  keep:
SectionEnd
