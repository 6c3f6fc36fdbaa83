//! The `imageio` binary: info / convert / formats, exit codes and one-line errors.

use std::process::Command;

fn imageio() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imageio"))
}

fn manifest_sha(file: &str) -> String {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/png/manifest.json"
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root).unwrap()).unwrap();
    m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["file"] == file && c["index"].is_null())
        .unwrap_or_else(|| panic!("{file} not in the PNG manifest"))["sha256"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn info_json_hash_matches_numpy() {
    let out = imageio()
        .args(["info", "imageio:chelsea.png", "--json", "--hash"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["uri"], "imageio:chelsea.png");
    assert_eq!(v["plugin"], "png");
    assert_eq!(v["properties"]["shape"], serde_json::json!([300, 451, 3]));
    assert_eq!(v["properties"]["dtype"], "uint8");
    assert_eq!(v["properties"]["n_images"], serde_json::Value::Null);
    assert_eq!(v["properties"]["is_batch"], false);
    assert!(v["metadata"].is_object());
    // The manifest's value is hashlib.sha256(np.asarray(PIL.Image.open(...)).tobytes()).
    assert_eq!(
        v["images"][0]["sha256"],
        manifest_sha("standard:chelsea.png")
    );
    assert_eq!(v["images"][0]["index"], serde_json::Value::Null);
}

#[test]
fn info_all_streams_every_image() {
    let dir = tempfile::tempdir().unwrap();
    let apng = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/png/apng_rgb.png"
    );
    let out = imageio()
        .args(["info", apng, "--all", "--json", "--hash"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = v["properties"]["n_images"].as_u64().unwrap();
    assert!(n > 1);
    assert_eq!(v["properties"]["is_batch"], true);
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len() as u64, n);
    assert_eq!(images[1]["index"], 1);
    let _ = dir;
}

#[test]
fn convert_then_info() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("c.png");
    let st = imageio()
        .args(["convert", "imageio:chelsea.png"])
        .arg(&out_path)
        .args(["--quiet"])
        .status()
        .unwrap();
    assert!(st.success());
    let out = imageio()
        .args(["info", "--json", "--hash"])
        .arg(&out_path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["images"][0]["sha256"],
        manifest_sha("standard:chelsea.png"),
        "lossless conversion"
    );
}

#[test]
fn errors_are_one_line_and_nonzero() {
    let out = imageio()
        .args(["info", "/no/such/file.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("imageio: error: "), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = imageio()
        .args(["convert", "imageio:chelsea.png"])
        .arg(dir.path().join("x.png"))
        .args(["--option", "no_such_option=1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown option `no_such_option`") && err.contains("accepted options"),
        "{err}"
    );
    assert!(!dir.path().join("x.png").exists());
}

#[test]
fn formats_lists_the_compiled_backends() {
    let out = imageio().args(["formats", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"png"), "{names:?}");
    let png = v
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "png")
        .unwrap();
    assert!(
        png["extensions"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(".png"))
    );
    assert_eq!(png["write"], true);
}

/// A reader that stops early (`imageio info x | head -1`) closes the pipe: the tool stops
/// quietly (exit 0, nothing on stderr) instead of panicking in `println!`.
#[test]
fn a_closed_stdout_is_not_a_crash() {
    for args in [
        &["info", "imageio:newtonscradle.gif", "--all", "--hash"][..],
        &["formats", "--json"][..],
    ] {
        let mut child = imageio()
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the tool has written anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// Long metadata values are shortened on a character boundary, whatever the script.
#[test]
fn long_non_ascii_metadata_is_shortened_safely() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.png");
    // `{"Title":"ab` is 12 bytes and `é` two: byte 97 falls inside a character.
    let title = format!("ab{}", "é".repeat(80));
    let st = imageio()
        .args(["convert", "imageio:chelsea.png"])
        .arg(&path)
        .args(["--quiet", "--option", &format!("text=Title={title}")])
        .status()
        .unwrap();
    assert!(st.success());
    let out = imageio()
        .arg("info")
        .arg(&path)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("text: "))
        .unwrap_or_else(|| panic!("no text line in {text}"));
    assert!(line.ends_with("..."), "{line}");
    assert!(line.contains("\"Title\":\"abé"), "{line}");
}
