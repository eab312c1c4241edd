; Windows setup for Caseworker (街道民政工作台), compiled by build_installer.py with NSIS:
;
;   makensis /DVERSION=0.1.0 /DSOURCE=dist\caseworker /DOUTFILE=dist\caseworker-setup-0.1.0.exe
;            /DICON=resources\icons\caseworker.ico packaging\windows\caseworker.nsi
;
; - Per user, without administrator rights: the program goes to %LOCALAPPDATA%\Programs\Caseworker,
;   its shortcuts to the user's Start menu and desktop, its uninstall entry to HKCU.
; - The workspace (the database, its backups, exports, keys) lives elsewhere, in
;   %LOCALAPPDATA%\Caseworker\workspace (caseworker/workspace.py: default_root): neither an
;   upgrade nor the uninstaller touches it. tests/build/test_windows_setup.py checks these paths
;   against the ones the application reads.
; - Installing over an older version replaces the program's own files only (the folder
;   PyInstaller makes, the two programs, the uninstaller) and keeps the workspace.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!ifndef VERSION
  !error "VERSION is required (/DVERSION=0.1.0)"
!endif
!ifndef SOURCE
  !error "SOURCE is required: the PyInstaller folder (/DSOURCE=dist\caseworker)"
!endif
!ifndef OUTFILE
  !define OUTFILE "caseworker-setup-${VERSION}.exe"
!endif
!ifndef ICON
  !define ICON "..\..\resources\icons\caseworker.ico"
!endif

!define PRODUCT "街道民政工作台"
!define APPNAME "Caseworker"
!define PUBLISHER "Caseworker"
!define GUI_EXE "caseworker-gui.exe"
!define CLI_EXE "caseworker.exe"
!define UNINSTALLER "uninstall.exe"
!define INSTALL_DIR "$LOCALAPPDATA\Programs\${APPNAME}"
!define DATA_DIR "$LOCALAPPDATA\${APPNAME}"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPNAME}"
!define SETTINGS_KEY "Software\${APPNAME}"

Name "${PRODUCT}"
Caption "${PRODUCT} ${VERSION} 安装"
OutFile "${OUTFILE}"
Icon "${ICON}"
UninstallIcon "${ICON}"
InstallDir "${INSTALL_DIR}"
InstallDirRegKey HKCU "${SETTINGS_KEY}" "InstallDir"
ShowInstDetails show
ShowUninstDetails show
BrandingText "${PRODUCT} ${VERSION}"

; The setup program's own version resource (Properties → Details).
VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey /LANG=2052 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "FileDescription" "${PRODUCT} 安装程序"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "${PUBLISHER}"

LoadLanguageFile "${NSISDIR}\Contrib\Language files\SimpChinese.nlf"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Install"
  SetShellVarContext current
  ; An older version's program files go first (never the workspace, which is not in here).
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${UNINSTALLER}"

  SetOutPath "$INSTDIR"
  File /r "${SOURCE}\*.*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0

  WriteRegStr HKCU "${SETTINGS_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  Delete "$DESKTOP\${PRODUCT}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegValue HKCU "${SETTINGS_KEY}" "InstallDir"
  ; The workspace stays: the office's records are never removed with the program.
  DetailPrint "工作区（数据库、备份和导出文件）保留在 ${DATA_DIR}\workspace"
SectionEnd
