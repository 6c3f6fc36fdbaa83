//! Plugin options as validated key/value pairs.
//!
//! Generic callers (the CLI, a future Python binding) pass options as `key=value` pairs; each plugin
//! declares the keys it accepts with [`OptionSpec`]s and the core validates them before the plugin
//! sees them: an unknown or ill-typed key is an [`Error::UnknownOption`] that lists the accepted
//! keys (upstream imageio silently ignores unknown keywords in several plugins). Backends add typed
//! builders that produce [`Options`].

use std::fmt;

use indexmap::IndexMap;

use crate::error::{Context, Error, Result};
use crate::value::Value;

/// The type of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionKind {
    /// `true`/`false` (also `1`/`0`, `yes`/`no` from text).
    Bool,
    /// An integer.
    Int,
    /// A number.
    Float,
    /// Text.
    Str,
    /// A list (from text: comma-separated items, `10,20`, optionally in Python brackets, `[10, 20]`).
    List,
    /// Bytes (from text: the bytes of the text).
    Bytes,
    /// Any value; the plugin checks it.
    Any,
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptionKind::Bool => "bool",
            OptionKind::Int => "int",
            OptionKind::Float => "float",
            OptionKind::Str => "str",
            OptionKind::List => "list",
            OptionKind::Bytes => "bytes",
            OptionKind::Any => "any",
        })
    }
}

/// One accepted option: its key, type and a one-line description.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    /// The key.
    pub key: &'static str,
    /// Its type.
    pub kind: OptionKind,
    /// What it does.
    pub doc: &'static str,
}

impl OptionSpec {
    /// A spec (const, for static tables).
    pub const fn new(key: &'static str, kind: OptionKind, doc: &'static str) -> Self {
        OptionSpec { key, kind, doc }
    }
}

/// Declares a typed options builder: a newtype over [`Options`] with `new()`, one chaining setter
/// per key (the method name is the option key), `From<Builder> for Options`, and `KEYS` (every
/// setter's key) so a test can check the builder against the plugin's [`OptionSpec`]s with
/// [`check_builder_keys`].
///
/// ```
/// imageio_core::options_builder! {
///     /// Write options of a toy format.
///     pub struct ToyWriteOptions {
///         /// 0…100.
///         quality: i64,
///         /// Progressive encoding.
///         progressive: bool,
///     }
/// }
/// let o: imageio_core::Options = ToyWriteOptions::new().quality(90).progressive(true).into();
/// assert_eq!(o.get_int("quality"), Some(90));
/// assert_eq!(ToyWriteOptions::KEYS, ["quality", "progressive"]);
/// ```
#[macro_export]
macro_rules! options_builder {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $key:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        $vis struct $name($crate::Options);

        impl $name {
            /// The keys this builder sets (one per setter).
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// No options.
            pub fn new() -> Self {
                Self::default()
            }

            /// Sets any option by key (for keys without a typed setter).
            pub fn set(mut self, key: &str, value: impl Into<$crate::Value>) -> Self {
                self.0.set(key, value);
                self
            }

            $(
                $(#[$fmeta])*
                pub fn $key(mut self, value: $ty) -> Self {
                    self.0.set(stringify!($key), value);
                    self
                }
            )*
        }

        impl From<$name> for $crate::Options {
            fn from(o: $name) -> $crate::Options {
                o.0
            }
        }
    };
}

/// Checks that every key of a typed builder (its `KEYS`) is declared in `specs`: typed builders
/// and the specs the core validates against cannot drift apart. Returns the unknown keys.
pub fn check_builder_keys(
    keys: &[&str],
    specs: &[OptionSpec],
) -> std::result::Result<(), Vec<String>> {
    let missing: Vec<String> = keys
        .iter()
        .filter(|k| !specs.iter().any(|s| s.key == **k))
        .map(|k| (*k).to_owned())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

/// Ordered plugin options.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    map: IndexMap<String, Value>,
}

impl Options {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an option.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.map.insert(key.into(), value.into());
        self
    }

    /// Builder form of [`set`](Self::set).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set(key, value);
        self
    }

    /// Parses `key=value` (the value is text; validation converts it to the declared type).
    pub fn parse_pair(&mut self, pair: &str) -> Result<&mut Self> {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            Error::invalid_argument(format!("option `{pair}` is not of the form key=value"))
        })?;
        Ok(self.set(k.trim(), Value::Str(v.to_owned())))
    }

    /// Merges `other` into `self` (other wins).
    pub fn extend(&mut self, other: Options) {
        self.map.extend(other.map);
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Iterates over the pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The raw value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// True if the key was given.
    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// A bool option (after validation).
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }
    /// An integer option.
    pub fn get_int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_int)
    }
    /// A float option.
    pub fn get_float(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_float)
    }
    /// A text option.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
    /// A list option.
    pub fn get_list(&self, key: &str) -> Option<&[Value]> {
        self.get(key).and_then(Value::as_list)
    }

    /// Checks every key against `specs` and converts text values to the declared types.
    pub fn validate(&mut self, specs: &[OptionSpec]) -> Result<()> {
        let accepted = || {
            specs
                .iter()
                .map(|s| format!("{} ({})", s.key, s.kind))
                .collect::<Vec<_>>()
        };
        for (key, value) in self.map.iter_mut() {
            let Some(spec) = specs.iter().find(|s| s.key == key) else {
                return Err(Error::UnknownOption {
                    ctx: Context::default(),
                    problem: format!("unknown option `{key}`"),
                    accepted: accepted(),
                });
            };
            match coerce(value, spec.kind) {
                Some(v) => *value = v,
                None => {
                    return Err(Error::UnknownOption {
                        ctx: Context::default(),
                        problem: format!("option `{key}` must be {} but is {value:?}", spec.kind),
                        accepted: accepted(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Options {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Options {
            map: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

fn parse_scalar(t: &str) -> Value {
    let t = t.trim();
    if let Ok(i) = t.parse::<i64>() {
        Value::Int(i)
    } else if let Ok(f) = t.parse::<f64>() {
        Value::Float(f)
    } else {
        match t {
            "true" | "True" => Value::Bool(true),
            "false" | "False" => Value::Bool(false),
            _ => Value::Str(t.to_owned()),
        }
    }
}

/// A list written as text: `10,20`, or with Python's brackets `[10, 20]` / `(10, 20)` (a
/// trailing comma inside brackets is allowed, `[]` is empty).
fn parse_list(s: &str) -> Vec<Value> {
    let t = s.trim();
    let bracketed = t
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .or_else(|| t.strip_prefix('(').and_then(|r| r.strip_suffix(')')));
    let inner = match bracketed {
        Some(inner) => {
            let inner = inner.trim();
            inner.strip_suffix(',').unwrap_or(inner)
        }
        None => t,
    };
    if bracketed.is_some() && inner.trim().is_empty() {
        return Vec::new();
    }
    inner.split(',').map(parse_scalar).collect()
}

fn coerce(value: &Value, kind: OptionKind) -> Option<Value> {
    use OptionKind as K;
    match (kind, value) {
        (K::Any, v) => Some(v.clone()),
        (K::Bool, Value::Bool(b)) => Some(Value::Bool(*b)),
        (K::Bool, Value::Int(0)) => Some(Value::Bool(false)),
        (K::Bool, Value::Int(1)) => Some(Value::Bool(true)),
        (K::Bool, Value::Str(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(Value::Bool(true)),
            "false" | "0" | "no" | "off" => Some(Value::Bool(false)),
            _ => None,
        },
        (K::Int, v) => match v {
            Value::Str(s) => s.trim().parse::<i64>().ok().map(Value::Int),
            v => v.as_int().map(Value::Int),
        },
        (K::Float, v) => match v {
            Value::Str(s) => s.trim().parse::<f64>().ok().map(Value::Float),
            v => v.as_float().map(Value::Float),
        },
        (K::Str, Value::Str(s)) => Some(Value::Str(s.clone())),
        (K::Bytes, Value::Bytes(b)) => Some(Value::Bytes(b.clone())),
        (K::Bytes, Value::Str(s)) => Some(Value::Bytes(s.as_bytes().to_vec())),
        (K::List, Value::List(l)) => Some(Value::List(l.clone())),
        (K::List, Value::Str(s)) => Some(Value::List(parse_list(s))),
        (K::List, v @ (Value::Int(_) | Value::Float(_))) => Some(Value::List(vec![v.clone()])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[
        OptionSpec::new("rotate", OptionKind::Bool, "apply EXIF orientation"),
        OptionSpec::new("compression", OptionKind::Int, "zlib level"),
        OptionSpec::new("duration", OptionKind::List, "ms per frame"),
    ];

    #[test]
    fn validates_and_coerces_text() {
        let mut o = Options::new();
        o.parse_pair("rotate=true").unwrap();
        o.parse_pair("compression=9").unwrap();
        o.parse_pair("duration=10,20").unwrap();
        o.validate(SPECS).unwrap();
        assert_eq!(o.get_bool("rotate"), Some(true));
        assert_eq!(o.get_int("compression"), Some(9));
        assert_eq!(o.get_list("duration").unwrap().len(), 2);
    }

    #[test]
    fn lists_as_text_accept_python_brackets() {
        let list = |text: &str| {
            let mut o = Options::new();
            o.parse_pair(&format!("duration={text}")).unwrap();
            o.validate(SPECS).unwrap();
            o.get_list("duration").unwrap().to_vec()
        };
        let two = vec![Value::Int(100), Value::Int(200)];
        for text in [
            "100,200",
            "[100,200]",
            "[100, 200]",
            " (100, 200,) ",
            "[100,200,]",
        ] {
            assert_eq!(list(text), two, "{text}");
        }
        assert_eq!(list("[40.5]"), vec![Value::Float(40.5)]);
        assert_eq!(list("7"), vec![Value::Int(7)]);
        assert_eq!(list("[]"), Vec::<Value>::new());
        // an unbalanced bracket is not stripped: the text stays an item, as before
        assert_eq!(list("[100,200")[0], Value::Str("[100".into()));
    }

    #[test]
    fn unknown_and_ill_typed_keys_list_accepted_ones() {
        let mut o = Options::new().with("rotat", true);
        let e = o.validate(SPECS).unwrap_err().to_string();
        assert!(e.contains("unknown option `rotat`"), "{e}");
        assert!(
            e.contains("rotate (bool), compression (int), duration (list)"),
            "{e}"
        );
        let mut o = Options::new().with("compression", "high");
        let e = o.validate(SPECS).unwrap_err().to_string();
        assert!(e.contains("must be int"), "{e}");
    }
}
