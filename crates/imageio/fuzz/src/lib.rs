//! What every fuzz target does with its input: the calls a user makes on a file of one format.

use imageio::{Index, Limits};

/// Limits for fuzzing: small enough that an image the limits allow decodes well within
/// libFuzzer's `-rss_limit_mb=2048` and `-timeout=10` even under AddressSanitizer and coverage
/// instrumentation, so an out-of-memory or a timeout means an allocation or a loop the limits do
/// not govern (the defaults allow 4 GiB per call). Measured in the instrumented tiff target on
/// LZW + predictor int32 pages from tifffile: 3.9 MB took 3.6 s and 16 MB 17 s (both with the
/// other core busy); a 59 MB page that 256 MiB allowed took 43 s (0.1 s in a release build).
pub fn limits() -> Limits {
    Limits::default()
        .with_max_pixels(Some(1 << 20))
        .with_max_bytes(Some(1 << 22))
}

/// Feeds `data` through the facade with `plugin` forced: read of the default index, read of all
/// images, improps, immeta and imiter. Errors are expected; a panic, hang or unbounded allocation
/// is a finding.
pub fn exercise(data: &[u8], plugin: &str) {
    let reader = || imageio::reader(data).plugin(plugin).limits(limits());
    let _ = reader().read();
    let _ = reader().index(Index::All).read();
    let _ = reader().properties();
    let _ = reader().metadata();
    let _ = reader().index(Index::All).properties();
    if let Ok(images) = reader().iter() {
        // an iterator ends after its first error; bound it anyway
        for image in images.take(10_000) {
            if image.is_err() {
                break;
            }
        }
    }
}
