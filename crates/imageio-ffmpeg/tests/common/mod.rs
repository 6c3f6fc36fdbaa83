//! Shared helpers for the ffmpeg backend tests.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;
use std::process::Command;

use imageio_core::{ImageFile, Mode, OpenArgs, Options, Resource};

// Link the plugin so that it registers.
use imageio_ffmpeg as _;

pub fn standard(name: &str) -> PathBuf {
    imageio_core::standard::resolve(name)
        .unwrap_or_else(|e| panic!("standard image {name} is missing: {e}"))
}

pub fn open_read<'a>(r: impl Into<Resource<'a>>, options: Options) -> ImageFile<'a> {
    let args = OpenArgs {
        plugin: Some("ffmpeg".into()),
        options,
        ..Default::default()
    };
    imageio_core::open(r.into(), Mode::Read, &args).expect("open for reading")
}

pub fn open_write<'a>(
    r: impl Into<Resource<'a>>,
    ext: Option<&str>,
    options: Options,
) -> ImageFile<'a> {
    let args = OpenArgs {
        plugin: Some("ffmpeg".into()),
        extension: ext.map(str::to_owned),
        options,
        ..Default::default()
    };
    imageio_core::open(r.into(), Mode::Write, &args).expect("open for writing")
}

/// Checks that the ffmpeg command line tool exists (a missing tool fails the test).
pub fn ffmpeg_cli() -> Command {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "the `ffmpeg` command line tool is required (run .ci/install-system-deps.sh)"
    );
    Command::new("ffmpeg")
}

pub use imageio_testutil::{psnr, python, workspace};
