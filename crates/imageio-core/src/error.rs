//! The one error type of imageio-rs.

use std::fmt;

/// Result alias with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Reading (imageio's `"r"`).
    Read,
    /// Writing (imageio's `"w"`).
    Write,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Read => "read",
            Mode::Write => "write",
        })
    }
}

/// One plugin that selection tried, and why it did not take the resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Plugin name.
    pub plugin: String,
    /// Why it declined.
    pub reason: String,
}

/// Where an error happened: the resource and the plugin, when known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The resource as the user named it (`<bytes>` for in-memory data).
    pub resource: Option<String>,
    /// The plugin that was working on it.
    pub plugin: Option<String>,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.plugin, &self.resource) {
            (Some(p), Some(r)) => write!(f, "[{p}] `{r}`: "),
            (None, Some(r)) => write!(f, "`{r}`: "),
            (Some(p), None) => write!(f, "[{p}] "),
            (None, None) => Ok(()),
        }
    }
}

fn fmt_attempts(attempts: &[Attempt]) -> String {
    if attempts.is_empty() {
        return "no registered plugin handles it".to_owned();
    }
    let parts: Vec<String> = attempts
        .iter()
        .map(|a| format!("{} ({})", a.plugin, a.reason))
        .collect();
    format!("tried {}", parts.join("; "))
}

fn fmt_hint(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(". {h}")).unwrap_or_default()
}

/// Everything that can go wrong, with the resource and plugin it concerns.
///
/// Kinds are distinct so callers can match on them: no plugin could open a resource
/// ([`Error::NoPlugin`]), an unknown plugin name ([`Error::UnknownPlugin`]), a plugin that cannot
/// serve this request ([`Error::Unsupported`]), malformed input ([`Error::Decoding`]), a failed
/// encode ([`Error::Encoding`]), a [`Limits`](crate::Limits) refusal ([`Error::Limits`]), a bad
/// argument ([`Error::InvalidArgument`], [`Error::UnknownOption`],
/// [`Error::IndexOutOfRange`]) and I/O ([`Error::Io`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Selection found no plugin that could open the resource.
    #[error(
        "could not find a plugin to {mode} `{resource}`: {}{}",
        fmt_attempts(attempts),
        fmt_hint(hint)
    )]
    NoPlugin {
        /// The resource.
        resource: String,
        /// Read or write.
        mode: Mode,
        /// Every plugin tried, with its reason.
        attempts: Vec<Attempt>,
        /// E.g. which Cargo feature enables a backend for this extension.
        hint: Option<String>,
    },
    /// The named plugin is not registered.
    #[error("`{name}` is not a registered plugin name (registered: {}){}", available.join(", "), fmt_hint(hint))]
    UnknownPlugin {
        /// The requested name.
        name: String,
        /// The registered names.
        available: Vec<String>,
        /// Which Cargo feature would register it, when known.
        hint: Option<String>,
    },
    /// The plugin cannot handle this request (mode, resource kind, or a feature of the data).
    ///
    /// Returned from a plugin's `open`, it tells selection to try the next plugin
    /// (imageio's `InitializationError`).
    #[error("{ctx}not supported: {reason}")]
    Unsupported {
        /// Where.
        ctx: Context,
        /// Why.
        reason: String,
    },
    /// The input is malformed or truncated.
    #[error("{ctx}cannot decode: {reason}")]
    Decoding {
        /// Where.
        ctx: Context,
        /// What is wrong.
        reason: String,
    },
    /// Encoding failed.
    #[error("{ctx}cannot encode: {reason}")]
    Encoding {
        /// Where.
        ctx: Context,
        /// What is wrong.
        reason: String,
    },
    /// A size check against [`Limits`](crate::Limits) refused the work before allocating.
    #[error("{ctx}refused by limits: {reason} (raise them with `Limits`)")]
    Limits {
        /// Where.
        ctx: Context,
        /// What was too large.
        reason: String,
    },
    /// The index is past the last image. The same kind for every plugin.
    #[error("{ctx}index {index} is out of range{}", len.map(|n| format!(" (the resource has {n} image{})", if n == 1 { "" } else { "s" })).unwrap_or_default())]
    IndexOutOfRange {
        /// Where.
        ctx: Context,
        /// The requested index.
        index: usize,
        /// Number of images, when known.
        len: Option<usize>,
    },
    /// A plugin option the plugin does not accept, or of the wrong type.
    #[error("{ctx}{problem}; accepted options: {}", if accepted.is_empty() { "none".to_owned() } else { accepted.join(", ") })]
    UnknownOption {
        /// Where.
        ctx: Context,
        /// What is wrong with it.
        problem: String,
        /// Every accepted key, with its type.
        accepted: Vec<String>,
    },
    /// A caller's argument is invalid.
    #[error("{ctx}invalid argument: {message}")]
    InvalidArgument {
        /// Where.
        ctx: Context,
        /// What is wrong.
        message: String,
    },
    /// An I/O error.
    #[error("{ctx}{source}")]
    Io {
        /// Where.
        ctx: Context,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// "This plugin cannot handle it" (selection tries the next plugin).
    pub fn unsupported(reason: impl Into<String>) -> Self {
        Error::Unsupported {
            ctx: Context::default(),
            reason: reason.into(),
        }
    }
    /// Malformed input.
    pub fn decoding(reason: impl fmt::Display) -> Self {
        Error::Decoding {
            ctx: Context::default(),
            reason: reason.to_string(),
        }
    }
    /// Encoding failed.
    pub fn encoding(reason: impl fmt::Display) -> Self {
        Error::Encoding {
            ctx: Context::default(),
            reason: reason.to_string(),
        }
    }
    /// A limits refusal.
    pub fn limits(reason: impl Into<String>) -> Self {
        Error::Limits {
            ctx: Context::default(),
            reason: reason.into(),
        }
    }
    /// A bad argument.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            ctx: Context::default(),
            message: message.into(),
        }
    }
    /// Index past the end.
    pub fn index_out_of_range(index: usize, len: Option<usize>) -> Self {
        Error::IndexOutOfRange {
            ctx: Context::default(),
            index,
            len,
        }
    }
    /// I/O.
    pub fn io(source: std::io::Error) -> Self {
        Error::Io {
            ctx: Context::default(),
            source,
        }
    }

    /// The context of this error, if it has one.
    pub fn context(&self) -> Option<&Context> {
        match self {
            Error::Unsupported { ctx, .. }
            | Error::Decoding { ctx, .. }
            | Error::Encoding { ctx, .. }
            | Error::Limits { ctx, .. }
            | Error::IndexOutOfRange { ctx, .. }
            | Error::UnknownOption { ctx, .. }
            | Error::InvalidArgument { ctx, .. }
            | Error::Io { ctx, .. } => Some(ctx),
            _ => None,
        }
    }

    /// Fills in the resource and plugin where the error does not name them yet.
    pub fn with_context(mut self, resource: Option<&str>, plugin: Option<&str>) -> Self {
        let ctx = match &mut self {
            Error::Unsupported { ctx, .. }
            | Error::Decoding { ctx, .. }
            | Error::Encoding { ctx, .. }
            | Error::Limits { ctx, .. }
            | Error::IndexOutOfRange { ctx, .. }
            | Error::UnknownOption { ctx, .. }
            | Error::InvalidArgument { ctx, .. }
            | Error::Io { ctx, .. } => ctx,
            _ => return self,
        };
        if ctx.resource.is_none() {
            ctx.resource = resource.map(str::to_owned);
        }
        if ctx.plugin.is_none() {
            ctx.plugin = plugin.map(str::to_owned);
        }
        self
    }

    /// True for [`Error::Unsupported`]: the plugin declined, another may accept.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Error::Unsupported { .. })
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            return Error::decoding(format!("unexpected end of data ({e})"));
        }
        Error::io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_resource_and_plugin() {
        let e = Error::decoding("bad CRC").with_context(Some("a.png"), Some("png"));
        assert_eq!(e.to_string(), "[png] `a.png`: cannot decode: bad CRC");
        let e = Error::NoPlugin {
            resource: "<bytes>".into(),
            mode: Mode::Read,
            attempts: vec![Attempt {
                plugin: "png".into(),
                reason: "no PNG signature".into(),
            }],
            hint: None,
        };
        assert_eq!(
            e.to_string(),
            "could not find a plugin to read `<bytes>`: tried png (no PNG signature)"
        );
        let e = Error::index_out_of_range(3, Some(1));
        assert_eq!(
            e.to_string(),
            "index 3 is out of range (the resource has 1 image)"
        );
    }
}
