//! Shared helpers for the GIF tests.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

use imageio_core::{ImageFile, Mode, OpenArgs, Options, Resource};
use imageio_gif as _;

pub use imageio_testutil::{python, workspace as root};

pub fn fixture(name: &str) -> PathBuf {
    imageio_testutil::fixtures("gif").join(name)
}

pub fn manifest() -> serde_json::Value {
    imageio_testutil::manifest("gif")
}

/// Runs xtask/python/check_gif.py on (file, mode) pairs; one JSON object per file.
pub fn pillow_check(files: &[(PathBuf, &str)]) -> Vec<serde_json::Value> {
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    for (f, m) in files {
        args.push(f.into());
        args.push(m.into());
    }
    imageio_testutil::run_python_json("check_gif.py", &args)
}

pub fn open_read<'a>(
    r: impl Into<Resource<'a>>,
    options: Options,
) -> imageio_core::Result<ImageFile<'a>> {
    imageio_core::open(
        r.into(),
        Mode::Read,
        &OpenArgs {
            options,
            ..Default::default()
        },
    )
}

pub fn open_write<'a>(
    r: impl Into<Resource<'a>>,
    options: Options,
) -> imageio_core::Result<ImageFile<'a>> {
    imageio_core::open(
        r.into(),
        Mode::Write,
        &OpenArgs {
            options,
            extension: Some(".gif".into()),
            ..Default::default()
        },
    )
}
