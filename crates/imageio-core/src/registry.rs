//! The plugin registry and plugin selection.

use std::sync::OnceLock;

use crate::error::{Attempt, Error, Mode, Result};
use crate::file::ImageFile;
use crate::limits::Limits;
use crate::options::Options;
use crate::plugin::PluginDescriptor;
use crate::resource::{Request, Resource};

/// Backends this project ships, with the extensions they claim and the facade's Cargo feature.
/// Used for "compiled out" hints when a backend is not registered.
pub const KNOWN_BACKENDS: &[(&str, &[&str])] = &[
    ("png", &[".png", ".apng"]),
    (
        "tiff",
        &[
            ".tif", ".tiff", ".btf", ".tf8", ".ome.tif", ".lsm", ".stk", ".qptiff", ".ndpi", ".svs",
        ],
    ),
    ("jpeg", &[".jpg", ".jpeg", ".jpe", ".jfif"]),
    ("gif", &[".gif"]),
    (
        "ffmpeg",
        &[
            ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".flv",
            ".ts", ".h264", ".mts",
        ],
    ),
    ("heif", &[".heic", ".heif", ".hif", ".avif"]),
    ("fits", &[".fits", ".fit", ".fts"]),
    ("dicom", &[".dcm", ".dicom", ".ima"]),
];

fn feature_hint(plugin: &str) -> String {
    format!(
        "the `{plugin}` backend is compiled out: enable the Cargo feature `{plugin}` of the `imageio` crate"
    )
}

/// Every registered plugin, sorted by `(priority, name)`.
pub fn plugins() -> &'static [&'static PluginDescriptor] {
    static SORTED: OnceLock<Vec<&'static PluginDescriptor>> = OnceLock::new();
    SORTED.get_or_init(|| {
        let mut v: Vec<_> = inventory::iter::<PluginDescriptor>.into_iter().collect();
        v.sort_by_key(|d| (d.priority, d.name));
        v
    })
}

/// The plugin registered under `name`.
pub fn find(name: &str) -> Option<&'static PluginDescriptor> {
    plugins().iter().copied().find(|d| d.name == name)
}

/// Checks the registry: names are unique and extensions well-formed.
pub fn check() -> Result<()> {
    let all = plugins();
    for (i, d) in all.iter().enumerate() {
        if all[..i].iter().any(|o| o.name == d.name) {
            return Err(Error::invalid_argument(format!(
                "plugin `{}` is registered twice",
                d.name
            )));
        }
        if let Some(e) = d
            .extensions
            .iter()
            .find(|e| !e.starts_with('.') || e.to_ascii_lowercase() != **e)
        {
            return Err(Error::invalid_argument(format!(
                "plugin `{}` lists extension `{e}`: extensions are lower-case and start with `.`",
                d.name
            )));
        }
    }
    Ok(())
}

/// How to open a resource: explicit plugin, extension, options, limits.
#[derive(Clone, Debug, Default)]
pub struct OpenArgs {
    /// Use this plugin (no search).
    pub plugin: Option<String>,
    /// Treat the resource as having this extension (must start with `.`).
    pub extension: Option<String>,
    /// An extension (must start with `.`) used only when the resource itself has none
    /// (imageio's deprecated `format_hint`; an unknown hint is not an error, unlike upstream's
    /// bare `KeyError`).
    pub format_hint: Option<String>,
    /// Plugin options.
    pub options: Options,
    /// Size limits.
    pub limits: Limits,
}

fn capable(d: &PluginDescriptor, mode: Mode) -> bool {
    match mode {
        Mode::Read => d.can_read,
        Mode::Write => d.can_write,
    }
}

fn try_open<'a>(
    d: &'static PluginDescriptor,
    req: &Request<'a>,
    args: &OpenArgs,
) -> Result<ImageFile<'a>> {
    let mut req = req.clone();
    let mut options = args.options.clone();
    let specs = match req.mode() {
        Mode::Read => d.read_options,
        Mode::Write => d.write_options,
    };
    options
        .validate(specs)
        .map_err(|e| e.with_context(Some(req.name()), Some(d.name)))?;
    req.options = options;
    let name = req.name().to_owned();
    let sink = req.sink().ok().cloned();
    let mode = req.mode();
    let plugin = (d.open)(req).map_err(|e| e.with_context(Some(&name), Some(d.name)))?;
    Ok(ImageFile::new(plugin, d, name, mode, sink))
}

/// Opens `resource` for `mode` with the plugin that selection picks (imageio's `imopen`).
///
/// Selection: an explicit plugin if given; else the plugins that claim the extension, by
/// priority (when reading, each must also accept the first bytes if it can sniff); else, when
/// reading, every other plugin whose sniffer accepts the first bytes; else [`Error::NoPlugin`]
/// naming the resource, each plugin tried with its reason, and the Cargo feature that would add a
/// backend for the extension. Writing needs an extension (or a plugin): an unknown one is an
/// error, never a silent TIFF as upstream.
pub fn open<'a>(resource: Resource<'a>, mode: Mode, args: &OpenArgs) -> Result<ImageFile<'a>> {
    let display = resource.display_name();
    if let Some(name) = &args.plugin {
        let Some(d) = find(name) else {
            let hint = KNOWN_BACKENDS
                .iter()
                .any(|(p, _)| p == name)
                .then(|| feature_hint(name));
            return Err(Error::UnknownPlugin {
                name: name.clone(),
                available: plugins().iter().map(|d| d.name.to_owned()).collect(),
                hint,
            });
        };
        if !capable(d, mode) {
            return Err(
                Error::unsupported(format!("the `{}` plugin cannot {mode}", d.name))
                    .with_context(Some(&display), Some(d.name)),
            );
        }
        let req = Request::new(resource, mode, args.extension.as_deref(), args.limits)
            .and_then(|r| r.with_format_hint(args.format_hint.as_deref()))
            .map_err(|e| e.with_context(Some(&display), None))?;
        return try_open(d, &req, args);
    }

    let req = Request::new(resource, mode, args.extension.as_deref(), args.limits)
        .and_then(|r| r.with_format_hint(args.format_hint.as_deref()))
        .map_err(|e| e.with_context(Some(&display), None))?;
    let ext = req.extension().map(str::to_ascii_lowercase);
    let mut attempts = Vec::new();
    let mut tried: Vec<&str> = Vec::new();
    let claims = |d: &PluginDescriptor| ext.as_deref().is_some_and(|e| d.extensions.contains(&e));

    let attempt = |d: &'static PluginDescriptor, by_ext: bool, attempts: &mut Vec<Attempt>| {
        if mode == Mode::Read {
            match d.sniff {
                Some(sniff) if !sniff(req.first_bytes()) => {
                    let reason = if req.first_bytes().is_empty() {
                        "no data"
                    } else {
                        "signature not recognised"
                    };
                    attempts.push(Attempt {
                        plugin: d.name.into(),
                        reason: reason.into(),
                    });
                    return None;
                }
                None if !by_ext => return None,
                _ => {}
            }
        }
        match try_open(d, &req, args) {
            Ok(f) => Some(Ok(f)),
            Err(e) if e.is_unsupported() => {
                let reason = match &e {
                    Error::Unsupported { reason, .. } => reason.clone(),
                    other => other.to_string(),
                };
                attempts.push(Attempt {
                    plugin: d.name.into(),
                    reason,
                });
                None
            }
            Err(e) => Some(Err(e)),
        }
    };

    for d in plugins()
        .iter()
        .copied()
        .filter(|d| capable(d, mode) && claims(d))
    {
        tried.push(d.name);
        if let Some(r) = attempt(d, true, &mut attempts) {
            return r;
        }
    }
    if mode == Mode::Read {
        for d in plugins()
            .iter()
            .copied()
            .filter(|d| d.can_read && !tried.contains(&d.name))
        {
            if let Some(r) = attempt(d, false, &mut attempts) {
                return r;
            }
        }
    }

    let hint = match ext.as_deref() {
        Some(e) => {
            let missing: Vec<&str> = KNOWN_BACKENDS
                .iter()
                .filter(|(p, exts)| exts.contains(&e) && find(p).is_none())
                .map(|(p, _)| *p)
                .collect();
            if let Some(p) = missing.first() {
                Some(feature_hint(p))
            } else if mode == Mode::Write && !plugins().iter().any(|d| d.can_write && claims(d)) {
                Some(format!("no registered plugin writes `{e}` files"))
            } else {
                None
            }
        }
        None if mode == Mode::Write => Some(
            "cannot tell which format to write: give an `extension` (e.g. `.png`) or a `plugin`"
                .into(),
        ),
        None => None,
    };
    let hint = if mode == Mode::Read && req.first_bytes().is_empty() {
        Some("the resource is empty (0 bytes)".to_owned())
    } else {
        hint
    };
    Err(Error::NoPlugin {
        resource: req.name().to_owned(),
        mode,
        attempts,
        hint,
    })
}
