//! Standard images (`imageio:NAME`): a local cache filled from a mirror, checked by sha256.
//!
//! - Cache: `$IMAGEIO_USERDIR/.imageio/images` (default `~/.imageio/images`, as upstream).
//! - Base location for downloads: `IMAGEIO_IMAGES_URL`, an `http(s)://` URL, a `file://` URL or a
//!   folder; default: the `images/` folder of upstream's imageio-binaries repository.
//! - `IMAGEIO_NO_INTERNET` (`1`/`true`/`yes`) turns an HTTP download into an error (a local mirror
//!   is still used).
//! - Every file's sha256 is checked against `fixtures/standard-images.sha256` before it enters
//!   the cache; a mismatch is an error and leaves nothing in the cache.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::limits::Limits;

/// The manifest: `sha256  name` lines.
pub const MANIFEST: &str = include_str!("../../../fixtures/standard-images.sha256");

/// Upstream's location of the standard images.
pub const DEFAULT_BASE_URL: &str = "https://github.com/imageio/imageio-binaries/raw/master/images/";

/// Every standard image: `(name, sha256)`.
pub fn list() -> impl Iterator<Item = (&'static str, &'static str)> {
    MANIFEST.lines().filter_map(|l| {
        let (hash, name) = l.split_once("  ")?;
        Some((name.trim(), hash.trim()))
    })
}

/// The manifest entry for `name` (case-insensitive, as upstream): `(canonical name, sha256)`.
pub fn lookup(name: &str) -> Option<(&'static str, &'static str)> {
    list().find(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// The cache folder.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("IMAGEIO_USERDIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/tmp"));
    base.join(".imageio").join("images")
}

fn no_internet() -> bool {
    std::env::var("IMAGEIO_NO_INTERNET")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

/// Lower-case hex sha256 of `data` (the manifest's format).
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Returns the local path of standard image `name`, fetching it into the cache when missing.
pub fn resolve(name: &str) -> Result<PathBuf> {
    let (canonical, hash) = lookup(name).ok_or_else(|| {
        let known: Vec<&str> = list().map(|(n, _)| n).collect();
        Error::invalid_argument(format!(
            "unknown standard image `{name}`; the standard images are: {}",
            known.join(", ")
        ))
    })?;
    let base = std::env::var("IMAGEIO_IMAGES_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
    resolve_in(canonical, hash, &base, &cache_dir(), no_internet())
}

fn resolve_in(
    canonical: &str,
    hash: &str,
    base: &str,
    dir: &Path,
    offline: bool,
) -> Result<PathBuf> {
    let path = dir.join(canonical);
    if path.is_file() {
        return Ok(path);
    }
    let data = fetch(base, canonical, offline)?;
    let got = sha256_hex(&data);
    if got != hash {
        return Err(Error::decoding(format!(
            "standard image `{canonical}` from `{base}` has sha256 {got}, expected {hash}"
        )));
    }
    std::fs::create_dir_all(dir)?;
    // A temporary file of this call's own, renamed into place whole: callers fetching the same
    // image at once (test threads, processes) each see either no file or the complete one. One
    // shared `NAME.part` let a caller rename another's half-written file into the cache and fail
    // its own rename with "not found".
    let mut part = crate::resource::temp_beside(&path, Some(".part"))?;
    std::io::Write::write_all(&mut part, &data)?;
    part.persist(&path).map_err(|e| Error::io(e.error))?;
    Ok(path)
}

fn fetch(base: &str, name: &str, offline: bool) -> Result<Vec<u8>> {
    let lower = base.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        if offline {
            return Err(Error::io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "standard image `{name}` is not in the cache and IMAGEIO_NO_INTERNET forbids downloading it"
                ),
            )));
        }
        let url = format!("{}/{}", base.trim_end_matches('/'), name);
        return http_get(&url, &Limits::none().with_max_bytes(Some(1 << 30)));
    }
    let folder = base.strip_prefix("file://").unwrap_or(base);
    let p = Path::new(folder).join(name);
    std::fs::read(&p).map_err(|e| {
        Error::io(io::Error::new(
            e.kind(),
            format!("standard image mirror {}: {e}", p.display()),
        ))
    })
}

/// GETs `url` into memory (at most `limits.max_bytes`).
#[cfg(feature = "http")]
pub fn http_get(url: &str, limits: &Limits) -> Result<Vec<u8>> {
    use std::io::Read;
    let timeout = std::env::var("IMAGEIO_REQUEST_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(5);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(timeout.max(1) * 12)))
        .timeout_connect(Some(std::time::Duration::from_secs(timeout.max(1))))
        .build()
        .into();
    let mut last = None;
    for _ in 0..3 {
        match agent.get(url).call() {
            Ok(resp) => {
                let max = limits.max_bytes.unwrap_or(u64::MAX);
                let mut body = Vec::new();
                resp.into_body()
                    .into_reader()
                    .take(max.saturating_add(1))
                    .read_to_end(&mut body)
                    .map_err(Error::io)?;
                if body.len() as u64 > max {
                    return Err(Error::limits(format!(
                        "`{url}` is larger than max_bytes {max}"
                    )));
                }
                return Ok(body);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(Error::io(io::Error::other(format!(
        "unable to download `{url}`: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))))
}

/// Without the `http` feature, URLs are an error naming the feature.
#[cfg(not(feature = "http"))]
pub fn http_get(url: &str, _limits: &Limits) -> Result<Vec<u8>> {
    Err(Error::unsupported(format!(
        "`{url}`: reading http(s) URLs needs the `http` feature of imageio-core"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_has_the_upstream_names() {
        for n in [
            "chelsea.png",
            "newtonscradle.gif",
            "cockatoo.mp4",
            "stent.npz",
            "chelsea.zip",
        ] {
            assert!(lookup(n).is_some(), "{n}");
        }
        assert_eq!(lookup("Chelsea.PNG").unwrap().0, "chelsea.png");
        assert!(lookup("nonexistant_standard_image.png").is_none());
        assert!(list().all(|(_, h)| h.len() == 64));
    }

    /// Serves `body` over HTTP on loopback for `requests` requests.
    #[cfg(feature = "http")]
    fn serve(body: Vec<u8>, requests: usize) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut s = stream.unwrap();
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&body);
            }
        });
        format!("http://{addr}/images/")
    }

    #[cfg(feature = "http")]
    #[test]
    fn downloads_over_http_verify_sha256_and_respect_no_internet() {
        let dir = tempfile::tempdir().unwrap();
        let body = b"pretend png".to_vec();
        let good = sha256_hex(&body);
        let base = serve(body.clone(), 2);
        // Offline: a clear error, nothing cached.
        let e = resolve_in("x.png", &good, &base, dir.path(), true).unwrap_err();
        assert!(e.to_string().contains("IMAGEIO_NO_INTERNET"), "{e}");
        // Wrong hash: refused, nothing cached.
        let e = resolve_in("x.png", &"0".repeat(64), &base, dir.path(), false).unwrap_err();
        assert!(e.to_string().contains("expected 000"), "{e}");
        assert!(!dir.path().join("x.png").exists());
        // Right hash: cached.
        let p = resolve_in("x.png", &good, &base, dir.path(), false).unwrap();
        assert_eq!(std::fs::read(p).unwrap(), body);
    }

    /// Sixteen threads resolving one image into an empty cache at once all get the complete
    /// file (they used to share one `.part` file: "not found" errors and truncated images).
    #[test]
    fn concurrent_fetches_into_an_empty_cache_each_get_the_whole_file() {
        let mirror = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
        std::fs::write(mirror.path().join("z.png"), &body).unwrap();
        let h = sha256_hex(&body);
        let base = mirror.path().display().to_string();
        for _ in 0..4 {
            let cache = tempfile::tempdir().unwrap();
            let barrier = std::sync::Barrier::new(16);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..16)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            let p = resolve_in("z.png", &h, &base, cache.path(), true)?;
                            Ok::<_, Error>(std::fs::read(p)?)
                        })
                    })
                    .collect();
                for t in handles {
                    let got = t.join().unwrap().expect("resolve");
                    assert!(
                        got == body,
                        "a caller read {} of {} bytes",
                        got.len(),
                        body.len()
                    );
                }
            });
            // nothing but the image is left in the cache
            let names: Vec<_> = std::fs::read_dir(cache.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["z.png"]);
        }
    }

    #[test]
    fn mirror_folder_and_file_url() {
        let mirror = tempfile::tempdir().unwrap();
        std::fs::write(mirror.path().join("y.png"), b"abc").unwrap();
        let h = sha256_hex(b"abc");
        for base in [
            mirror.path().display().to_string(),
            format!("file://{}", mirror.path().display()),
        ] {
            let cache = tempfile::tempdir().unwrap();
            let p = resolve_in("y.png", &h, &base, cache.path(), true).unwrap();
            assert_eq!(p, cache.path().join("y.png"));
        }
        let e = resolve("nonexistant_standard_image.png")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown standard image"), "{e}");
        // the message names what exists (upstream only says "Unknown standard image")
        assert!(
            e.contains("chelsea.png") && e.contains("newtonscradle.gif"),
            "{e}"
        );
    }
}
