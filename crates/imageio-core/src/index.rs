//! [`Index`]: which image of a resource.

use std::fmt;

/// Which image to read (imageio's `index`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Index {
    /// The plugin's documented default (e.g. the first image of a PNG, all frames of a GIF or video).
    #[default]
    Default,
    /// Image `n` (0-based).
    At(usize),
    /// Every image stacked along a new axis 0 (imageio's `index=...`).
    All,
}

impl From<usize> for Index {
    fn from(n: usize) -> Self {
        Index::At(n)
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Index::Default => f.write_str("default"),
            Index::At(n) => write!(f, "{n}"),
            Index::All => f.write_str("all"),
        }
    }
}

impl Index {
    /// Resolves `Default` to the plugin's default.
    pub fn or(self, default: Index) -> Index {
        match self {
            Index::Default => default,
            other => other,
        }
    }
}
