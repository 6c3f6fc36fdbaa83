//! `cargo xtask`: project automation (rust-analyzer style: plain Rust, no extra tools).
//!
//! - `cargo xtask fixtures [--verify]`: fetch every standard image listed in
//!   `fixtures/standard-images.sha256` into the cache (`~/.imageio/images`, or
//!   `$IMAGEIO_USERDIR/.imageio/images`) from `$IMAGEIO_IMAGES_URL` (in CI: `../shared/fixtures/standard`),
//!   checking each sha256.
//! - `cargo xtask pyenv`: create `target/pyenv` from the pinned `xtask/python/requirements.txt`
//!   (the reference Python stack the generators and read-back checks use).
//! - `cargo xtask gen NAME…`: run `xtask/python/gen_NAME.py` in that venv (writes `fixtures/NAME/`).
//! - `cargo xtask ci`: everything CI runs: fmt, clippy `-D warnings`, pyenv, fixtures, all tests
//!   (with the C backends), each backend feature built alone, cargo-deny.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The pure-Rust backends (default features) and the ones that link C libraries.
const PURE_BACKENDS: &[&str] = &["png", "tiff", "jpeg", "gif"];
const C_BACKENDS: &[&str] = &["ffmpeg", "heif"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("command failed ({status}): {cmd:?}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn python() -> PathBuf {
    root().join("target/pyenv/bin/python")
}

fn fixtures(verify: bool) -> Result<()> {
    let mut n = 0;
    for (name, hash) in imageio_core::standard::list() {
        let path = imageio_core::standard::resolve(name)
            .with_context(|| format!("standard image {name}"))?;
        if verify {
            let data = std::fs::read(&path)?;
            let got = imageio_core::standard::sha256_hex(&data);
            if got != hash {
                bail!("{}: sha256 {got}, expected {hash}", path.display());
            }
        }
        n += 1;
    }
    eprintln!(
        "{n} standard images in {}",
        imageio_core::standard::cache_dir().display()
    );
    Ok(())
}

fn pyenv() -> Result<()> {
    let req = root().join("xtask/python/requirements.txt");
    let wanted = std::fs::read_to_string(&req).context("reading requirements.txt")?;
    let stamp = root().join("target/pyenv/.requirements");
    if python().exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
    {
        eprintln!("target/pyenv is up to date");
        return Ok(());
    }
    if !python().exists() {
        run(Command::new("python3").args(["-m", "venv", "target/pyenv"]))?;
    }
    run(Command::new(python())
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&req))?;
    std::fs::write(&stamp, wanted)?;
    Ok(())
}

fn generate(names: &[String]) -> Result<()> {
    pyenv()?;
    for n in names {
        let script = root().join(format!("xtask/python/gen_{n}.py"));
        if !script.exists() {
            bail!("no generator {}", script.display());
        }
        run(Command::new(python())
            .arg(&script)
            .args(["--out", &format!("fixtures/{n}")])
            .arg("--standard")
            .arg(standard_mirror()))?;
    }
    Ok(())
}

fn standard_mirror() -> PathBuf {
    std::env::var_os("IMAGEIO_IMAGES_URL")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/fixtures/standard"))
}

fn ci() -> Result<()> {
    let all_features = {
        let mut v: Vec<&str> = PURE_BACKENDS.iter().chain(C_BACKENDS).copied().collect();
        v.push("http");
        v.push("ffmpeg-device");
        v.push("tiff-libdeflate");
        v.push("tiff-libzstd");
        v.push("tiff-turbo");
        v.push("jpeg-turbo");
        v.iter()
            .map(|f| format!("imageio/{f}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    // Every step runs even when an earlier one failed, so one CI run reports every problem.
    let mut failed: Vec<String> = Vec::new();
    let mut step = |name: &str, r: Result<()>| {
        if let Err(e) = r {
            eprintln!("xtask ci: step `{name}` FAILED: {e:#}");
            failed.push(name.to_owned());
        }
    };
    step("fmt", run(cargo().args(["fmt", "--all", "--check"])));
    step(
        "clippy",
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            &all_features,
            "--",
            "-D",
            "warnings",
        ])),
    );
    step("pyenv", pyenv());
    step("fixtures", fixtures(true));
    step(
        "test",
        run(cargo().args([
            "test",
            "--workspace",
            "--features",
            &all_features,
            "--no-fail-fast",
        ])),
    );
    // The run above links the opt-in C codecs (`tiff-libdeflate`, `tiff-libzstd`, `jpeg-turbo`);
    // the default pure-Rust paths of those backends get their own test runs.
    for krate in ["imageio-tiff", "imageio-jpeg"] {
        step(
            &format!("test {krate} with its default (pure-Rust) codecs"),
            run(cargo().args(["test", "-p", krate, "--no-fail-fast"])),
        );
    }
    for f in PURE_BACKENDS.iter().chain(C_BACKENDS) {
        step(
            &format!("feature {f} alone"),
            run(cargo().args([
                "build",
                "-p",
                "imageio",
                "--no-default-features",
                "--features",
                f,
            ])),
        );
    }
    step(
        "no features",
        run(cargo().args(["build", "-p", "imageio", "--no-default-features"])),
    );
    let deny = match Command::new("cargo-deny").arg("--version").output() {
        // Advisories need the RustSec database from GitHub, which CI cannot reach.
        Ok(o) if o.status.success() => run(cargo().args([
            "deny",
            "--all-features",
            "check",
            "bans",
            "licenses",
            "sources",
        ])),
        _ => Err(anyhow::anyhow!(
            "cargo-deny is not installed (CI's .ci/run installs it)"
        )),
    };
    step("cargo-deny", deny);
    if !failed.is_empty() {
        bail!(
            "xtask ci: {} step(s) failed: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    eprintln!("xtask ci: all steps passed");
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("fixtures") => fixtures(args.iter().any(|a| a == "--verify")),
        Some("pyenv") => pyenv(),
        Some("gen") => generate(&args[1..]),
        Some("ci") => ci(),
        _ => {
            eprintln!("usage: cargo xtask <fixtures [--verify] | pyenv | gen NAME... | ci>");
            std::process::exit(2)
        }
    }
}
