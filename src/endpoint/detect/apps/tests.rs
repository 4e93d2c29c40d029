//! Each source on a small tree laid out as on a real disk, walked as the endpoint walker does
//! (folders first, `Descend::Skip` honoured, no symlinks followed).

use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, Descend, DetectError, EndpointCtx, Selector,
};

/// Walks `root` calling the detector; returns the artefacts and errors, in walk order.
fn scan(root: &Path) -> (Vec<Artifact>, Vec<DetectError>) {
    let ctx = EndpointCtx {
        endpoint: "test".into(),
        root: root.to_path_buf(),
    };
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    let mut it = walkdir::WalkDir::new(root)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(root).expect("under root");
        let mut sink = |a: Artifact| found.push(a);
        if entry.file_type().is_dir() {
            match on_dir(&ctx, rel, entry.path(), &mut sink) {
                Ok(Descend::Skip) => it.skip_current_dir(),
                Ok(Descend::Yes) => {}
                Err(e) => errors.push(e),
            }
        } else if entry.file_type().is_file() {
            let size = entry.metadata().expect("metadata").len();
            if let Err(e) = on_file(&ctx, rel, entry.path(), &|| size, &mut sink) {
                errors.push(e);
            }
        }
    }
    (found, errors)
}

fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(p, bytes).expect("write");
}

fn mkdir(root: &Path, rel: &str) {
    fs::create_dir_all(root.join(rel)).expect("mkdir");
}

fn art(
    selector: Selector,
    name: &str,
    version: Option<&str>,
    path: &str,
    line: Option<u64>,
    detail: Option<&str>,
) -> Artifact {
    Artifact {
        kind: ArtifactKind::App,
        selector,
        name: Some(name.to_string()),
        version: version.map(str::to_string),
        path: PathBuf::from(path),
        line,
        size: None,
        detail: detail.map(str::to_string),
    }
}

fn exe(s: &str) -> Selector {
    Selector::Executable(s.to_string())
}

fn pkg(ecosystem: &'static str, name: &str) -> Selector {
    Selector::Package {
        ecosystem,
        name: name.to_string(),
    }
}

fn sorted(mut v: Vec<Artifact>) -> Vec<Artifact> {
    v.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    v
}

/// 1-based number of the line that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> u64 {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .expect("line present") as u64
        + 1
}

// ---------------------------------------------------------------- macOS

/// The key set of a shipping Electron/Swift app's Info.plist (keys as Apple documents them;
/// values illustrative).
const CHATGPT_PLIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>BuildMachineOSBuild</key>
	<string>23H222</string>
	<key>CFBundleDevelopmentRegion</key>
	<string>en</string>
	<key>CFBundleDisplayName</key>
	<string>ChatGPT</string>
	<key>CFBundleExecutable</key>
	<string>ChatGPT</string>
	<key>CFBundleIconFile</key>
	<string>AppIcon</string>
	<key>CFBundleIdentifier</key>
	<string>com.openai.chat</string>
	<key>CFBundleInfoDictionaryVersion</key>
	<string>6.0</string>
	<key>CFBundleName</key>
	<string>ChatGPT</string>
	<key>CFBundlePackageType</key>
	<string>APPL</string>
	<key>CFBundleShortVersionString</key>
	<string>1.2025.043</string>
	<key>CFBundleSupportedPlatforms</key>
	<array>
		<string>MacOSX</string>
	</array>
	<key>CFBundleVersion</key>
	<string>1739486497</string>
	<key>LSApplicationCategoryType</key>
	<string>public.app-category.productivity</string>
	<key>LSMinimumSystemVersion</key>
	<string>14.0</string>
	<key>NSHumanReadableCopyright</key>
	<string>Copyright © 2025 OpenAI. All rights reserved.</string>
</dict>
</plist>
"#;

/// A bundle inside the app (Sparkle's updater): never reported, the app is skipped whole.
const NESTED_PLIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>CFBundleIdentifier</key><string>org.sparkle-project.Sparkle.Updater</string>
<key>CFBundleName</key><string>Updater</string>
</dict></plist>
"#;

/// Old-style (NeXTSTEP) ASCII plist, still accepted by CFBundle.
const LEGACY_PLIST: &str = r#"{
    CFBundleIdentifier = "org.Example.LegacyTool";
    CFBundleName = "Legacy Tool";
    CFBundleVersion = "2.1";
    CFBundleExecutable = legacy;
}
"#;

fn binary_plist(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut d = plist::Dictionary::new();
    for (k, v) in pairs {
        d.insert((*k).to_string(), plist::Value::String((*v).to_string()));
    }
    let mut out = Vec::new();
    plist::Value::Dictionary(d)
        .to_writer_binary(&mut out)
        .expect("plist writer");
    out
}

#[test]
fn macos_bundles_xml_binary_ascii() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Applications/ChatGPT.app/Contents/Info.plist",
        CHATGPT_PLIST,
    );
    write(
        root,
        "Applications/ChatGPT.app/Contents/MacOS/ChatGPT",
        b"\xcf\xfa\xed\xfe",
    );
    write(
        root,
        "Applications/ChatGPT.app/Contents/Frameworks/Sparkle.framework/Versions/B/Updater.app/Contents/Info.plist",
        NESTED_PLIST,
    );
    let claude = binary_plist(&[
        ("CFBundleIdentifier", "com.anthropic.claudefordesktop"),
        ("CFBundleName", "Claude"),
        ("CFBundleShortVersionString", "0.7.8"),
        ("CFBundleVersion", "0.7.8"),
        ("CFBundleExecutable", "Claude"),
        ("LSMinimumSystemVersion", "11.0"),
    ]);
    assert!(claude.starts_with(b"bplist00"));
    write(
        root,
        "Users/alice/Applications/Claude.app/Contents/Info.plist",
        &claude,
    );
    write(
        root,
        "Applications/Legacy Tool.APP/Contents/Info.plist",
        LEGACY_PLIST,
    );
    // No identifier: named by the folder.
    write(
        root,
        "Applications/Utilities/NoId.app/Contents/Info.plist",
        binary_plist(&[("CFBundleVersion", "7")]),
    );
    // Look-alikes: a web project folder named `*.app`, a bundle without Info.plist.
    write(root, "Users/alice/src/my.app/index.js", "console.log('hi')");
    write(
        root,
        "Users/alice/src/my.app/Contents/README",
        "not a bundle",
    );
    mkdir(root, "Applications/Empty.app/Contents/MacOS");
    // A bundle whose Contents leads out of the root: not followed.
    #[cfg(unix)]
    {
        write(root, "outside/Contents/Info.plist", CHATGPT_PLIST);
        mkdir(root, "Applications/Link.app");
        std::os::unix::fs::symlink(
            root.join("outside/Contents"),
            root.join("Applications/Link.app/Contents"),
        )
        .expect("symlink");
    }

    let (found, errors) = scan(root);
    assert_eq!(errors, vec![]);
    assert_eq!(
        sorted(found),
        vec![
            art(
                Selector::BundleId("com.openai.chat".into()),
                "ChatGPT",
                Some("1.2025.043"),
                "Applications/ChatGPT.app",
                None,
                Some("ChatGPT"),
            ),
            art(
                Selector::BundleId("org.example.legacytool".into()),
                "Legacy Tool",
                Some("2.1"),
                "Applications/Legacy Tool.APP",
                None,
                Some("legacy"),
            ),
            art(
                exe("NoId"),
                "NoId",
                Some("7"),
                "Applications/Utilities/NoId.app",
                None,
                None
            ),
            art(
                Selector::BundleId("com.anthropic.claudefordesktop".into()),
                "Claude",
                Some("0.7.8"),
                "Users/alice/Applications/Claude.app",
                None,
                Some("Claude"),
            ),
        ]
    );
}

#[test]
fn macos_bad_plist_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Applications/Broken.app/Contents/Info.plist",
        "<?xml version=\"1.0\"?><plist><dict><key>",
    );
    write(
        root,
        "Applications/Array.app/Contents/Info.plist",
        "(\"a\", \"b\")",
    );
    let (found, errors) = scan(root);
    assert_eq!(found, vec![]);
    let reasons: Vec<_> = errors
        .iter()
        .map(|e| (e.path.clone(), e.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                PathBuf::from("Applications/Array.app/Contents/Info.plist"),
                "Info.plist: not a dictionary"
            ),
            (
                PathBuf::from("Applications/Broken.app/Contents/Info.plist"),
                "Info.plist: not a plist (XML, binary or ASCII)"
            ),
        ]
    );
}

// ---------------------------------------------------------------- Windows .reg

/// regedit's `hex(N):` form of a UTF-16LE string with its NUL, wrapped as regedit wraps it:
/// lines of at most 80 columns ending in `\`, continued with two spaces.
fn reg_hex(name: &str, kind: u8, text: &str) -> String {
    let mut bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    bytes.extend([0, 0]);
    reg_hex_bytes(name, kind, &bytes)
}

fn reg_hex_bytes(name: &str, kind: u8, bytes: &[u8]) -> String {
    let mut out = format!("\"{name}\"=hex({kind}):");
    let mut col = out.len();
    for (i, b) in bytes.iter().enumerate() {
        let last = i + 1 == bytes.len();
        let item = if last {
            format!("{b:02x}")
        } else {
            format!("{b:02x},")
        };
        if col + item.len() > 77 && !last {
            out.push_str("\\\r\n  ");
            col = 2;
        }
        out.push_str(&item);
        col += item.len();
    }
    out
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

/// A regedit export of the three Uninstall keys, with the value names and types that MSI
/// and Inno Setup installers write (values illustrative).
fn uninstall_export() -> String {
    let lines = [
        "Windows Registry Editor Version 5.00".to_string(),
        String::new(),
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall]".into(),
        String::new(),
        // An MSI component hidden from Programs and Features.
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{0B8A6D2E-1F5C-4E8B-9C3A-2D7E4F6A8B10}]".into(),
        r#""AuthorizedCDFPrefix"="""#.into(),
        r#""DisplayVersion"="3.12.1150.0""#.into(),
        reg_hex("ModifyPath", 2, r"MsiExec.exe /X{0B8A6D2E-1F5C-4E8B-9C3A-2D7E4F6A8B10}"),
        r#""NoModify"=dword:00000001"#.into(),
        r#""Publisher"="Python Software Foundation""#.into(),
        r#""EstimatedSize"=dword:00001aa8"#.into(),
        r#""SystemComponent"=dword:00000001"#.into(),
        r#""WindowsInstaller"=dword:00000001"#.into(),
        r#""DisplayName"="Python 3.12.1 Core Interpreter (64-bit)""#.into(),
        String::new(),
        // A sub-key of an entry: not an entry.
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{0B8A6D2E-1F5C-4E8B-9C3A-2D7E4F6A8B10}\Components]".into(),
        r#""DisplayName"="Not an entry""#.into(),
        String::new(),
        // No DisplayName: not shown, not reported.
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Connection Manager]".into(),
        r#""SystemComponent"=dword:00000001"#.into(),
        String::new(),
        // 32-bit program, DisplayName as REG_EXPAND_SZ wrapped over lines, escapes in Publisher.
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\GPT4All]".into(),
        reg_hex("DisplayName", 2, "GPT4All Desktop Chat Client"),
        r#""DisplayVersion"="3.4.2""#.into(),
        r#""Publisher"="Nomic \"AI\" Inc.""#.into(),
        r#""InstallLocation"="C:\\Program Files (x86)\\gpt4all\\""#.into(),
        r#""SystemComponent"=dword:00000000"#.into(),
        reg_hex_bytes("Blob", 3, &[0xAB; 60]),
        String::new(),
        // Same value names outside the Uninstall key: ignored.
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\OpenAI\ChatGPT]".into(),
        r#""DisplayName"="ChatGPT""#.into(),
        String::new(),
        // A deletion.
        r"[-HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\OldTool]".into(),
        String::new(),
        // Per-user Inno Setup install.
        r"[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\{44E83376-CE68-45EB-8FC1-393500EB558C}_is1]".into(),
        r#""Inno Setup: Setup Version"="6.2.2""#.into(),
        r#""Inno Setup: App Path"="C:\\Users\\alice\\AppData\\Local\\Programs\\Ollama""#.into(),
        r#""InstallLocation"="C:\\Users\\alice\\AppData\\Local\\Programs\\Ollama\\""#.into(),
        r#""DisplayName"="Ollama version 0.6.5""#.into(),
        r#""DisplayIcon"="C:\\Users\\alice\\AppData\\Local\\Programs\\Ollama\\app.ico""#.into(),
        r#""UninstallString"="\"C:\\Users\\alice\\AppData\\Local\\Programs\\Ollama\\unins000.exe\"""#.into(),
        r#""DisplayVersion"="0.6.5""#.into(),
        r#""Publisher"="Ollama""#.into(),
        r#""URLInfoAbout"="https://github.com/ollama/ollama""#.into(),
        r#""NoModify"=dword:00000001"#.into(),
        r#""NoRepair"=dword:00000001"#.into(),
        r#""InstallDate"="20250402""#.into(),
        r#""EstimatedSize"=dword:0011cf3a"#.into(),
        // The export ends with a continued value and no final newline.
        reg_hex("UninstallPath", 2, r"C:\Users\alice\AppData\Local\Programs\Ollama\unins000.exe"),
    ];
    lines.join("\r\n")
}

#[test]
fn reg_utf16_export() {
    let text = uninstall_export();
    assert!(text.contains("\\\r\n  "), "the fixture has continued lines");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Users/alice/Documents/uninstall.reg",
        utf16le_bom(&text),
    );
    // Look-alikes: a `.reg` that is no export, a renamed export.
    write(root, "src/regex/notes.reg", "registers: r0 r1 r2\n");
    write(
        root,
        "Users/alice/Documents/uninstall.reg.txt",
        utf16le_bom(&text),
    );

    let (found, errors) = scan(root);
    assert_eq!(errors, vec![]);
    let path = "Users/alice/Documents/uninstall.reg";
    assert_eq!(
        sorted(found),
        vec![
            art(
                exe("GPT4All Desktop Chat Client"),
                "GPT4All Desktop Chat Client",
                Some("3.4.2"),
                path,
                Some(line_of(&text, r"[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node")),
                Some("Nomic \"AI\" Inc."),
            ),
            art(
                exe("Ollama version 0.6.5"),
                "Ollama version 0.6.5",
                Some("0.6.5"),
                path,
                Some(line_of(&text, r"[HKEY_CURRENT_USER")),
                Some("Ollama"),
            ),
        ]
    );
}

#[test]
fn reg_regedit4_ansi_and_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    // REGEDIT4 in Windows-1252: ® is 0xAE, ™ is 0x99; hex(2) is ANSI there.
    let mut v4 = b"REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\WinZip]\r\n\"DisplayName\"=\"WinZip".to_vec();
    v4.extend(b"\xAE 9.0\"\r\n\"Publisher\"=\"WinZip Computing\x99\"\r\n\"DisplayVersion\"=hex(2):39,2e,\\\r\n  30,00\r\n");
    write(root, "Windows/Temp/apps.REG", &v4);
    // UTF-8 with a BOM, as PowerShell's `reg export | Out-File -Encoding utf8` leaves it.
    let utf8 = "\u{feff}Windows Registry Editor Version 5.00\n\n[HKEY_USERS\\S-1-5-21-1004336348-1177238915-682003330-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\LM Studio]\n\"DisplayName\"=\"LM Studio\"\n\"DisplayVersion\"=\"0.3.14\"\n\"Publisher\"=\"Element Labs\"\n";
    write(root, "exports/user.reg", utf8);

    let (found, errors) = scan(root);
    assert_eq!(errors, vec![]);
    assert_eq!(
        sorted(found),
        vec![
            art(
                exe("WinZip® 9.0"),
                "WinZip® 9.0",
                Some("9.0"),
                "Windows/Temp/apps.REG",
                Some(3),
                Some("WinZip Computing™")
            ),
            art(
                exe("LM Studio"),
                "LM Studio",
                Some("0.3.14"),
                "exports/user.reg",
                Some(3),
                Some("Element Labs")
            ),
        ]
    );
}

// ---------------------------------------------------------------- Windows folders, shortcuts

#[test]
fn windows_program_folders_and_shortcuts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for d in [
        "Program Files/Ollama/lib/ollama",
        "Program Files/Common Files/System",
        "Program Files/WindowsApps/OpenAI.ChatGPT-Desktop_1.2025.112.0_x64__2p2nqsd0c76g0",
        "Program Files (x86)/Microsoft/Edge",
        "program files/LM Studio/resources",
        "Users/bob/AppData/Local/Programs/cursor/resources",
        "Users/bob/AppData/Local/Programs/Ollama/lib",
        // Look-alikes: `Programs` not under `AppData/Local`.
        "Users/bob/AppData/Local/Temp/Programs/setup",
        "Users/bob/src/Programs/demo",
    ] {
        mkdir(root, d);
    }
    let lnk = b"L\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0F";
    write(
        root,
        "ProgramData/Microsoft/Windows/Start Menu/Programs/Ollama.lnk",
        lnk,
    );
    write(
        root,
        "ProgramData/Microsoft/Windows/Start Menu/Programs/desktop.ini",
        "[.ShellClassInfo]",
    );
    write(
        root,
        "Users/bob/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Anthropic/Claude.lnk",
        lnk,
    );
    write(
        root,
        "Users/bob/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/LM Studio.LNK",
        lnk,
    );
    // Look-alikes: a desktop shortcut, a shortcut in Start Menu itself.
    write(root, "Users/bob/Desktop/ChatGPT.lnk", lnk);
    write(
        root,
        "Users/bob/AppData/Roaming/Microsoft/Windows/Start Menu/Gemini.lnk",
        lnk,
    );

    let (found, errors) = scan(root);
    assert_eq!(errors, vec![]);
    let p = "Users/bob/AppData/Roaming/Microsoft/Windows/Start Menu/Programs";
    assert_eq!(
        sorted(found),
        vec![
            art(
                exe("Ollama"),
                "Ollama",
                None,
                "Program Files/Ollama",
                None,
                None
            ),
            art(
                exe("Microsoft"),
                "Microsoft",
                None,
                "Program Files (x86)/Microsoft",
                None,
                None
            ),
            art(
                exe("Ollama"),
                "Ollama",
                None,
                "ProgramData/Microsoft/Windows/Start Menu/Programs/Ollama.lnk",
                None,
                None
            ),
            art(
                exe("Ollama"),
                "Ollama",
                None,
                "Users/bob/AppData/Local/Programs/Ollama",
                None,
                None
            ),
            art(
                exe("cursor"),
                "cursor",
                None,
                "Users/bob/AppData/Local/Programs/cursor",
                None,
                None
            ),
            art(
                exe("Claude"),
                "Claude",
                None,
                &format!("{p}/Anthropic/Claude.lnk"),
                None,
                None
            ),
            art(
                exe("LM Studio"),
                "LM Studio",
                None,
                &format!("{p}/Startup/LM Studio.LNK"),
                None,
                None
            ),
            art(
                exe("LM Studio"),
                "LM Studio",
                None,
                "program files/LM Studio",
                None,
                None
            ),
        ]
    );
}

// ---------------------------------------------------------------- Linux .desktop, /opt

/// VS Code's `code.desktop` (shape of the file the Microsoft .deb installs).
const CODE_DESKTOP: &str = "[Desktop Entry]
Name=Visual Studio Code
Comment=Code Editing. Redefined.
GenericName=Text Editor
Exec=/usr/share/code/code %F
Icon=vscode
Type=Application
StartupNotify=false
StartupWMClass=Code
Categories=TextEditor;Development;IDE;
MimeType=application/x-code-workspace;
Actions=new-empty-window;
Keywords=vscode;

[Desktop Action new-empty-window]
Name=New Empty Window
Name[de]=Neues leeres Fenster
Exec=/usr/share/code/code --new-window %F
Icon=vscode
";

/// The export flatpak writes for an app (`X-Flatpak`, `flatpak run` in `Exec`).
const ALPACA_DESKTOP: &str = "[Desktop Entry]
Name=Alpaca
Name[es]=Alpaca
Comment=Chat with local AI models
Exec=/usr/bin/flatpak run --branch=stable --arch=x86_64 --command=alpaca com.jeffser.Alpaca
Icon=com.jeffser.Alpaca
Terminal=false
Type=Application
Categories=Utility;Development;Chat;
StartupNotify=true
X-Flatpak=com.jeffser.Alpaca
";

/// What snapd writes to `var/lib/snapd/desktop/applications/<snap>_<app>.desktop`.
const FIREFOX_SNAP_DESKTOP: &str = "[Desktop Entry]
X-SnapInstanceName=firefox
Version=1.0
Name=Firefox Web Browser
Name[fr]=Navigateur Web Firefox
Comment=Browse the World Wide Web
GenericName=Web Browser
Keywords=Internet;WWW;Browser;Web;Explorer
X-SnapAppName=firefox
Exec=env BAMF_DESKTOP_FILE_HINT=/var/lib/snapd/desktop/applications/firefox_firefox.desktop /snap/bin/firefox %u
Icon=/snap/firefox/5751/default256.png
Terminal=false
Type=Application
Categories=GNOME;GTK;Network;WebBrowser;

[Desktop Action new-window]
Name=Open a New Window
Exec=env BAMF_DESKTOP_FILE_HINT=/var/lib/snapd/desktop/applications/firefox_firefox.desktop /snap/bin/firefox -new-window
";

#[test]
fn linux_desktop_entries_and_opt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "usr/share/applications/code.desktop", CODE_DESKTOP);
    write(
        root,
        "var/lib/flatpak/exports/share/applications/com.jeffser.Alpaca.desktop",
        ALPACA_DESKTOP,
    );
    write(
        root,
        "var/lib/snapd/desktop/applications/firefox_firefox.desktop",
        FIREFOX_SNAP_DESKTOP,
    );
    write(
        root,
        "home/alice/.local/share/applications/cursor.desktop",
        "[Desktop Entry]\nType=Application\nName=Cursor\nExec=\"/home/alice/Applications/Cursor 0.45.AppImage\" --no-sandbox %U\n",
    );
    write(
        root,
        "usr/local/share/applications/jan.desktop",
        "# installed by jan.deb\n[Desktop Entry]\nName=Jan\nExec=env GDK_BACKEND=x11 /opt/Jan/jan --no-sandbox %U\nType=Application\n",
    );
    // Deleted (Hidden), a link, outside an applications folder, in a sub-folder.
    write(
        root,
        "home/alice/.local/share/applications/old.desktop",
        "[Desktop Entry]\nName=Old Tool\nExec=old\nHidden=true\n",
    );
    write(
        root,
        "usr/share/applications/website.desktop",
        "[Desktop Entry]\nType=Link\nName=ChatGPT\nURL=https://chatgpt.com/\n",
    );
    write(root, "usr/share/doc/example/demo.desktop", CODE_DESKTOP);
    write(root, "home/alice/Desktop/chatgpt.desktop", CODE_DESKTOP);
    write(
        root,
        "usr/share/applications/kde4/legacy.desktop",
        CODE_DESKTOP,
    );
    // /opt children at the root only.
    mkdir(root, "opt/Jan/resources");
    mkdir(root, "opt/google/chrome");
    mkdir(root, "opt/.hidden");
    mkdir(root, "home/alice/opt/tool");

    let (found, errors) = scan(root);
    assert_eq!(errors, vec![]);
    assert_eq!(
        sorted(found),
        vec![
            art(
                exe("Cursor"),
                "Cursor",
                None,
                "home/alice/.local/share/applications/cursor.desktop",
                None,
                Some("Cursor 0.45.AppImage")
            ),
            art(exe("Jan"), "Jan", None, "opt/Jan", None, None),
            art(exe("google"), "google", None, "opt/google", None, None),
            art(
                exe("Jan"),
                "Jan",
                None,
                "usr/local/share/applications/jan.desktop",
                None,
                Some("jan")
            ),
            art(
                exe("Visual Studio Code"),
                "Visual Studio Code",
                None,
                "usr/share/applications/code.desktop",
                None,
                Some("code")
            ),
            art(
                exe("Alpaca"),
                "Alpaca",
                None,
                "var/lib/flatpak/exports/share/applications/com.jeffser.Alpaca.desktop",
                None,
                Some("flatpak:com.jeffser.Alpaca"),
            ),
            art(
                exe("Firefox Web Browser"),
                "Firefox Web Browser",
                None,
                "var/lib/snapd/desktop/applications/firefox_firefox.desktop",
                None,
                Some("snap:firefox"),
            ),
        ]
    );
}

#[test]
fn desktop_without_entry_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "usr/share/applications/broken.desktop",
        "[Desktop Action x]\nName=X\n",
    );
    let (found, errors) = scan(root);
    assert_eq!(found, vec![]);
    assert_eq!(
        errors,
        vec![DetectError {
            path: "usr/share/applications/broken.desktop".into(),
            reason: ".desktop: no [Desktop Entry] Name".into(),
        }]
    );
}

#[test]
fn exec_program_words() {
    assert_eq!(exec_of("/usr/bin/ollama serve").as_deref(), Some("ollama"));
    assert_eq!(
        exec_of("  \"/opt/LM Studio/lm-studio\" %U").as_deref(),
        Some("lm-studio")
    );
    assert_eq!(
        exec_of("env A=1 B=\"x y\" /snap/bin/foo").as_deref(),
        Some("foo")
    );
    assert_eq!(exec_of("/usr/bin/env -u X bar").as_deref(), Some("bar"));
    assert_eq!(exec_of("\"/a/b\\\"c\" x").as_deref(), Some("b\"c"));
    assert_eq!(exec_of(""), None);
    assert_eq!(exec_of("env"), None);
}

fn exec_of(s: &str) -> Option<String> {
    linux::exec_program(s)
}

// ---------------------------------------------------------------- snap, flatpak, dpkg

/// The top of an Ollama snap's `meta/snap.yaml` (snapcraft's generated layout).
const OLLAMA_SNAP_YAML: &str = "name: ollama
version: '0.6.5'
summary: Get up and running with large language models locally
description: |
  name: not-this-one
  Run Llama, Mistral and other models.
base: core22
grade: stable
confinement: strict
apps:
  ollama:
    command: bin/ollama
    plugs: [network, network-bind, home]
architectures:
- amd64
";

#[test]
fn snaps_and_flatpaks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "snap/ollama/105/meta/snap.yaml", OLLAMA_SNAP_YAML);
    write(
        root,
        "snap/ollama_beta/x1/meta/snap.yaml",
        "version: 0.7.0-rc1 # local build\n",
    );
    write(root, "var/lib/snapd/snaps/ollama_105.snap", b"hsqs");
    write(root, "var/lib/snapd/snaps/core22_1748.snap", b"hsqs");
    // Look-alikes: `current` (a symlink on a real system), a per-user snap data folder,
    // a partial download, a `.snap` elsewhere.
    write(root, "snap/ollama/current/meta/snap.yaml", OLLAMA_SNAP_YAML);
    write(
        root,
        "home/alice/snap/ollama/105/meta/snap.yaml",
        OLLAMA_SNAP_YAML,
    );
    write(root, "var/lib/snapd/snaps/partial/ollama_106.snap", b"hsqs");
    write(root, "home/alice/Downloads/ollama_105.snap", b"hsqs");

    mkdir(
        root,
        "var/lib/flatpak/app/com.jeffser.Alpaca/x86_64/stable/0f1e2d3c4b5a/files",
    );
    write(
        root,
        "var/lib/flatpak/app/com.jeffser.Alpaca/x86_64/stable/0f1e2d3c4b5a/metadata",
        "[Application]\nname=com.jeffser.Alpaca\nruntime=org.gnome.Platform/x86_64/47\n",
    );
    mkdir(
        root,
        "home/alice/.local/share/flatpak/app/io.github.qwersyk.Newelle/x86_64/stable",
    );
    // Look-alikes: a runtime, a source tree's `flatpak/app/`.
    mkdir(root, "var/lib/flatpak/runtime/org.gnome.Platform/x86_64/47");
    mkdir(root, "home/alice/src/flatpak/app/common");

    let (found, errors) = scan(root);
    assert_eq!(errors, vec![]);
    assert_eq!(
        sorted(found),
        vec![
            art(
                pkg("flatpak", "io.github.qwersyk.Newelle"),
                "io.github.qwersyk.Newelle",
                None,
                "home/alice/.local/share/flatpak/app/io.github.qwersyk.Newelle",
                None,
                None,
            ),
            art(
                pkg("snap", "ollama"),
                "ollama",
                Some("0.6.5"),
                "snap/ollama/105/meta/snap.yaml",
                None,
                None
            ),
            art(
                pkg("snap", "ollama"),
                "ollama",
                Some("0.7.0-rc1"),
                "snap/ollama_beta/x1/meta/snap.yaml",
                None,
                None
            ),
            art(
                pkg("flatpak", "com.jeffser.Alpaca"),
                "com.jeffser.Alpaca",
                None,
                "var/lib/flatpak/app/com.jeffser.Alpaca",
                None,
                None,
            ),
            art(
                pkg("snap", "core22"),
                "core22",
                None,
                "var/lib/snapd/snaps/core22_1748.snap",
                None,
                Some("revision 1748")
            ),
            art(
                pkg("snap", "ollama"),
                "ollama",
                None,
                "var/lib/snapd/snaps/ollama_105.snap",
                None,
                Some("revision 105")
            ),
        ]
    );
}

/// Stanzas in the shape of a Debian 12 `/var/lib/dpkg/status` (fields as dpkg writes them).
const DPKG_STATUS: &str = "Package: zstd
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 2102
Maintainer: RPM packaging team <team+pkg-rpm@tracker.debian.org>
Architecture: amd64
Source: libzstd
Version: 1.5.4+dfsg2-5
Depends: libc6 (>= 2.34), liblz4-1 (>= 0.0~r127), liblzma5 (>= 5.1.1alpha+20120614), libzstd1 (= 1.5.4+dfsg2-5)
Description: fast lossless compression algorithm -- CLI tool
 Zstd, short for Zstandard, is a fast lossless compression algorithm.
 .
 Package: not-a-field
Homepage: https://github.com/facebook/zstd

Package: ollama
Status: deinstall ok config-files
Priority: optional
Section: utils
Installed-Size: 40960
Maintainer: Ollama <hello@ollama.com>
Architecture: amd64
Version: 0.6.5
Conffiles:
 /etc/systemd/system/ollama.service 0123456789abcdef0123456789abcdef
Description: Get up and running with large language models

Package: jan
Status: install reinstreq half-installed
Architecture: amd64
Version: 0.5.15
Description: Jan desktop

Package: code
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 405112
Maintainer: Microsoft Corporation <vscode-linux@microsoft.com>
Architecture: amd64
Version: 1.98.2-1741788907
Provides: visual-studio-code
Description: Code editing. Redefined.
 Visual Studio Code is a new choice of tool.
";

#[test]
fn dpkg_status_installed_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "var/lib/dpkg/status", DPKG_STATUS);
    // Look-alikes: dpkg's backup, a `status` elsewhere.
    write(root, "var/lib/dpkg/status-old", DPKG_STATUS);
    write(root, "home/alice/status", DPKG_STATUS);
    write(root, "var/lib/dpkg/info/status", DPKG_STATUS);

    let (found, errors) = scan(root);
    assert_eq!(errors, vec![]);
    let p = "var/lib/dpkg/status";
    assert_eq!(
        sorted(found),
        vec![
            art(
                pkg("deb", "zstd"),
                "zstd",
                Some("1.5.4+dfsg2-5"),
                p,
                Some(1),
                None
            ),
            art(
                pkg("deb", "code"),
                "code",
                Some("1.98.2-1741788907"),
                p,
                Some(line_of(DPKG_STATUS, "Package: code")),
                None
            ),
        ]
    );
}

// ---------------------------------------------------------------- rpm

/// rpm 4.18's schema for the table read (from a database it wrote).
const RPM_PACKAGES_TABLE: &str =
    "CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)";

/// Headers of two packages as rpm 4.18 stored them in `rpmdb.sqlite` (built with
/// `rpmbuild` from a minimal spec and installed with `rpm --justdb` into an empty
/// sqlite rpmdb; see tests/data/endpoint/rpm/README.md).
const OLLAMA_HDR: &[u8] = include_bytes!("../../../../tests/data/endpoint/rpm/ollama.hdr");
const CLONE_HDR: &[u8] = include_bytes!("../../../../tests/data/endpoint/rpm/openai-clone.hdr");

/// A header laid out per the spec: `(tag, type, data)` entries.
fn rpm_header(entries: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, ty, bytes) in entries {
        for v in [*tag, *ty, data.len() as u32, 1] {
            index.extend(v.to_be_bytes());
        }
        data.extend_from_slice(bytes);
    }
    let mut out = Vec::new();
    out.extend((entries.len() as u32).to_be_bytes());
    out.extend((data.len() as u32).to_be_bytes());
    out.extend(index);
    out.extend(data);
    out
}

fn rpmdb(path: &Path, blobs: &[&[u8]]) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let c = rusqlite::Connection::open(path).expect("create rpmdb");
    c.execute_batch(RPM_PACKAGES_TABLE).expect("schema");
    for b in blobs {
        c.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])
            .expect("insert");
    }
}

#[test]
fn rpm_headers_real_and_by_spec() {
    assert_eq!(
        rpmdb::read_header(OLLAMA_HDR),
        Some(rpmdb::Header {
            name: "ollama",
            version: Some("0.6.5"),
            release: Some("1.fc41"),
        })
    );
    let h = rpm_header(&[
        (1000, 6, b"jan\0"),
        (1001, 6, b"0.5.15\0"),
        (1002, 6, b"1\0"),
        (1022, 6, b"x86_64\0"),
    ]);
    assert_eq!(
        rpmdb::read_header(&h),
        Some(rpmdb::Header {
            name: "jan",
            version: Some("0.5.15"),
            release: Some("1"),
        })
    );
    // Wrong type for NAME, no terminating NUL, offset past the store, no NAME.
    assert_eq!(
        rpmdb::read_header(&rpm_header(&[(1000, 4, b"\0\0\0\x01")])),
        None
    );
    assert_eq!(rpmdb::read_header(&rpm_header(&[(1000, 6, b"jan")])), None);
    let mut past = rpm_header(&[(1000, 6, b"jan\0")]);
    past[8 + 8..8 + 12].copy_from_slice(&100u32.to_be_bytes());
    assert_eq!(rpmdb::read_header(&past), None);
    assert_eq!(rpmdb::read_header(&rpm_header(&[(1001, 6, b"1\0")])), None);
    // Every prefix of a real header: no panic.
    for n in 0..OLLAMA_HDR.len() {
        let _ = rpmdb::read_header(&OLLAMA_HDR[..n]);
    }
}

#[test]
fn rpmdb_sqlite_read_immutably() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Characters a SQLite URI must escape.
    let root = &dir.path().join("mnt/disk image #1 ?%20");
    let gpg = rpm_header(&[
        (1000, 6, b"gpg-pubkey\0"),
        (1001, 6, b"a15b79cc\0"),
        (1002, 6, b"63d04c2c\0"),
    ]);
    let bad = b"\0\0\0\x02\0\0\0\x10short".to_vec();
    let var_db = root.join("var/lib/rpm/rpmdb.sqlite");
    rpmdb(&var_db, &[OLLAMA_HDR, &gpg, CLONE_HDR, &bad]);
    let jan = rpm_header(&[
        (1000, 6, b"jan\0"),
        (1001, 6, b"0.5.15\0"),
        (1002, 6, b"1\0"),
    ]);
    rpmdb(&root.join("usr/lib/sysimage/rpm/rpmdb.sqlite"), &[&jan]);
    // Look-alikes: a copy elsewhere, another sqlite file named like it with no table.
    rpmdb(&root.join("home/alice/rpmdb.sqlite"), &[OLLAMA_HDR]);
    let before = fs::read(&var_db).expect("read");
    let listing = |p: &Path| {
        let mut v: Vec<_> = fs::read_dir(p)
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        v.sort();
        v
    };
    let files_before = listing(&root.join("var/lib/rpm"));

    let (found, errors) = scan(root);
    assert_eq!(
        errors,
        vec![DetectError {
            path: "var/lib/rpm/rpmdb.sqlite".into(),
            reason: "rpmdb.sqlite: 1 of 4 package headers unreadable".into(),
        }]
    );
    assert_eq!(
        sorted(found),
        vec![
            art(
                pkg("rpm", "jan"),
                "jan",
                Some("0.5.15-1"),
                "usr/lib/sysimage/rpm/rpmdb.sqlite",
                None,
                None
            ),
            art(
                pkg("rpm", "ollama"),
                "ollama",
                Some("0.6.5-1.fc41"),
                "var/lib/rpm/rpmdb.sqlite",
                None,
                None
            ),
            art(
                pkg("rpm", "openai-clone"),
                "openai-clone",
                Some("1.0-2"),
                "var/lib/rpm/rpmdb.sqlite",
                None,
                None
            ),
        ]
    );
    // Nothing written: same bytes, no journal, WAL or shm beside it.
    assert_eq!(fs::read(&var_db).expect("read"), before);
    assert_eq!(listing(&root.join("var/lib/rpm")), files_before);
}

#[test]
fn rpmdb_not_sqlite_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "var/lib/rpm/rpmdb.sqlite",
        b"\0\0\0\0 not a database at all, really not",
    );
    let empty = root.join("usr/lib/sysimage/rpm/rpmdb.sqlite");
    fs::create_dir_all(empty.parent().expect("parent")).expect("mkdir");
    rusqlite::Connection::open(&empty)
        .expect("create")
        .execute_batch("CREATE TABLE Other (x)")
        .expect("schema");
    let (found, errors) = scan(root);
    assert_eq!(found, vec![]);
    let paths: Vec<_> = errors.iter().map(|e| e.path.clone()).collect();
    assert_eq!(
        paths,
        vec![
            PathBuf::from("usr/lib/sysimage/rpm/rpmdb.sqlite"),
            PathBuf::from("var/lib/rpm/rpmdb.sqlite"),
        ]
    );
    assert!(errors[0].reason.starts_with("rpmdb.sqlite: "), "{errors:?}");
}

// ---------------------------------------------------------------- robustness

#[test]
fn unrelated_files_are_not_opened() {
    let ctx = EndpointCtx::default();
    let mut sink = |_: Artifact| panic!("nothing to report");
    let missing = Path::new("/nonexistent/shadow-ai/file");
    for rel in [
        "home/alice/notes.txt",
        "home/alice/status",
        "var/lib/dpkg/status-old",
        "usr/share/doc/x.desktop",
        "Users/bob/Desktop/x.lnk",
        "home/alice/snap.yaml",
        "home/alice/x_1.snap",
        "home/alice/rpmdb.sqlite",
        "snap/x/current/meta/snap.yaml",
    ] {
        assert_eq!(
            on_file(&ctx, Path::new(rel), missing, &|| 10, &mut sink),
            Ok(()),
            "{rel}"
        );
    }
    for rel in [
        "",
        "opt",
        "home/alice/src",
        "Users/bob/AppData/Local/Programs",
        "x.app",
    ] {
        assert_eq!(
            on_dir(&ctx, Path::new(rel), missing, &mut sink),
            Ok(Descend::Yes),
            "{rel}"
        );
    }
}

#[test]
fn garbage_and_truncated_inputs_do_not_panic() {
    let claude = binary_plist(&[
        ("CFBundleIdentifier", "com.anthropic.claudefordesktop"),
        ("CFBundleName", "Claude"),
    ]);
    let reg = utf16le_bom(&uninstall_export());
    let valid: [(&str, Vec<u8>); 8] = [
        ("Applications/A.app/Contents/Info.plist", claude),
        (
            "Applications/B.app/Contents/Info.plist",
            CHATGPT_PLIST.into(),
        ),
        (
            "Applications/C.app/Contents/Info.plist",
            LEGACY_PLIST.into(),
        ),
        ("x/uninstall.reg", reg),
        (
            "usr/share/applications/code.desktop",
            FIREFOX_SNAP_DESKTOP.into(),
        ),
        ("snap/ollama/1/meta/snap.yaml", OLLAMA_SNAP_YAML.into()),
        ("var/lib/dpkg/status", DPKG_STATUS.into()),
        ("var/lib/rpm/rpmdb.sqlite", {
            let d = tempfile::tempdir().expect("tempdir");
            let p = d.path().join("db");
            rpmdb(&p, &[OLLAMA_HDR, CLONE_HDR]);
            fs::read(&p).expect("read")
        }),
    ];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    };
    for (rel, bytes) in &valid {
        let mut variants: Vec<Vec<u8>> = vec![Vec::new(), noise(1), noise(64), noise(4096)];
        for cut in [
            1,
            2,
            3,
            7,
            8,
            9,
            31,
            100,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len() - 1,
        ] {
            variants.push(bytes[..cut.min(bytes.len())].to_vec());
        }
        // The real header or magic followed by noise.
        let mut spliced = bytes[..bytes.len().min(40)].to_vec();
        spliced.extend(noise(500));
        variants.push(spliced);
        for v in variants {
            let dir = tempfile::tempdir().expect("tempdir");
            write(dir.path(), rel, &v);
            let _ = scan(dir.path());
        }
    }
    // reg parser on hostile text directly: unclosed strings, lone `\`, odd hex.
    for text in [
        "Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\x]\n\"DisplayName\"=\"abc\\",
        "Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\x]\n\"DisplayName\"=hex(2):4,zz,\\\n\\\n",
        "Windows Registry Editor Version 5.00\n[\n]\n\"\n@=\n\"DisplayName\"=hex(2)\n\"SystemComponent\"=dword:zz\n",
        "REGEDIT4\n[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\é]\n\"DisplayName\"=hex(1):ff,ff,ff\n",
    ] {
        let _ = windows::parse_for_test(text.as_bytes());
    }
}

#[test]
fn reg_parser_values() {
    let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\A]\r\n\"DisplayName\"=\"Tools \\\\ \\\"Pro\\\"\"\r\n\"DisplayVersion\"=hex(1):31,00,2e,00,\\\r\n  30,00,00,00\r\n@=\"default\"\r\n\"Publisher\"=\"x\"\r\n\"SystemComponent\"=dword:00000000\r\n";
    assert_eq!(
        windows::parse_for_test(text.as_bytes()),
        vec![(
            "Tools \\ \"Pro\"".to_string(),
            Some("1.0".to_string()),
            Some("x".to_string()),
            3
        )]
    );
}
