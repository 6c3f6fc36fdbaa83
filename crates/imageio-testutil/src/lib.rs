//! Test helpers shared by the imageio-rs backends: where the workspace, its fixtures and the
//! reference Python venv are, running the committed Python checkers, opening resources with
//! options, and the truncated / bit-flipped copies every decoder is run on.
//!
//! A missing fixture, manifest or Python interpreter makes the calling test **fail** with a
//! message that says how to create it (`cargo xtask fixtures`, `cargo xtask pyenv`): tests never
//! skip.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use imageio_core::{ImageFile, Mode, OpenArgs, Options, Resource, open};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `fixtures/<backend>/`.
pub fn fixtures(backend: &str) -> PathBuf {
    workspace().join("fixtures").join(backend)
}

/// `fixtures/<backend>/manifest.json`, parsed.
pub fn manifest(backend: &str) -> serde_json::Value {
    let path = fixtures(backend).join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `cargo xtask gen {backend}` to regenerate the fixtures)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The reference Python interpreter: `$IMAGEIO_TEST_PYTHON`, else `target/pyenv/bin/python`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("IMAGEIO_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let p = workspace().join("target/pyenv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run `cargo xtask pyenv` to create the reference Python venv",
        p.display()
    );
    p
}

/// A command running `xtask/python/<script>` in the reference venv (add arguments and
/// environment, then [`stdout_of`]).
pub fn python_command(script: &str) -> Command {
    let mut cmd = Command::new(python());
    cmd.arg(workspace().join("xtask/python").join(script));
    cmd
}

/// Runs `cmd` and returns its stdout; fails the test, with its stderr, when it fails.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `xtask/python/<script>` with `args` in the reference venv; returns its stdout. Fails the
/// test (with the script's stderr) when the script fails.
pub fn run_python<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> String {
    stdout_of(python_command(script).args(args))
}

/// [`run_python`] for checkers that print one JSON document per line.
pub fn run_python_json<S: AsRef<std::ffi::OsStr>>(
    script: &str,
    args: &[S],
) -> Vec<serde_json::Value> {
    run_python(script, args)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{script}: {e}: {l}")))
        .collect()
}

/// Open arguments with an optional extension and options.
pub fn args(extension: Option<&str>, options: impl Into<Options>) -> OpenArgs {
    OpenArgs {
        extension: extension.map(str::to_owned),
        options: options.into(),
        ..Default::default()
    }
}

/// Opens `resource` for reading with `options`; panics with the error.
pub fn open_read<'a>(
    resource: impl Into<Resource<'a>>,
    options: impl Into<Options>,
) -> ImageFile<'a> {
    open(resource.into(), Mode::Read, &args(None, options)).unwrap_or_else(|e| panic!("{e}"))
}

/// Opens `resource` for writing as `extension` with `options`.
pub fn open_write<'a>(
    resource: impl Into<Resource<'a>>,
    extension: &str,
    options: impl Into<Options>,
) -> imageio_core::Result<ImageFile<'a>> {
    open(
        resource.into(),
        Mode::Write,
        &args(Some(extension), options),
    )
}

/// Lower-case hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Damaged copies of a valid file for hostile-input tests.
pub mod hostile {
    /// Prefixes of `data` at up to `count` lengths spread over the whole file (always including
    /// the very short ones: 0, 1, 2, … 16 bytes), each with a description.
    pub fn truncations(data: &[u8], count: usize) -> Vec<(String, Vec<u8>)> {
        let n = data.len();
        let mut lens: Vec<usize> = (0..=16.min(n.saturating_sub(1))).collect();
        let step = (n / count.max(1)).max(1);
        lens.extend((17..n).step_by(step));
        lens.push(n.saturating_sub(1));
        lens.sort_unstable();
        lens.dedup();
        lens.into_iter()
            .filter(|&l| l < n)
            .map(|l| (format!("truncated to {l} of {n} bytes"), data[..l].to_vec()))
            .collect()
    }

    /// `count` copies of `data` with one bit flipped each, at deterministic pseudo-random
    /// positions (seeded), each with a description.
    pub fn bit_flips(data: &[u8], count: usize, seed: u64) -> Vec<(String, Vec<u8>)> {
        let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            // splitmix64
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        if data.is_empty() {
            return Vec::new();
        }
        (0..count)
            .map(|_| {
                let r = next();
                let pos = (r % data.len() as u64) as usize;
                let bit = (r >> 32) % 8;
                let mut v = data.to_vec();
                v[pos] ^= 1 << bit;
                (format!("bit {bit} of byte {pos} flipped"), v)
            })
            .collect()
    }

    /// Runs `decode` on `input` and fails the test, naming `what`, when it panics. The result
    /// (an error or an image) is returned: damaged files may still decode.
    pub fn no_panic<T>(what: &str, input: &[u8], decode: impl FnOnce(&[u8]) -> T) -> T {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(input))) {
            Ok(v) => v,
            Err(_) => panic!("decoder panicked on {what}"),
        }
    }
}

/// Peak signal-to-noise ratio in dB of `b` against `a` (equally long sample sequences) for
/// samples up to `peak`; infinite when they are equal.
pub fn psnr<T: Copy + Into<f64>>(a: &[T], b: &[T], peak: f64) -> f64 {
    assert_eq!(a.len(), b.len(), "PSNR of sequences of different lengths");
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x.into() - y.into()).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (peak * peak / mse).log10()
    }
}

#[cfg(test)]
mod tests {
    use super::hostile::*;

    #[test]
    fn damaged_copies_are_deterministic_and_damaged() {
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let t = truncations(&data, 50);
        assert!(t.len() >= 50 && t.iter().all(|(_, v)| v.len() < data.len()));
        assert!(t.iter().any(|(_, v)| v.is_empty()));
        let a = bit_flips(&data, 20, 7);
        assert_eq!(a, bit_flips(&data, 20, 7));
        assert_ne!(a, bit_flips(&data, 20, 8));
        for (_, v) in &a {
            let diff: u32 = v.iter().zip(&data).map(|(x, y)| (x ^ y).count_ones()).sum();
            assert_eq!(diff, 1);
        }
        assert!(super::workspace().join("Cargo.toml").exists());
    }
}
