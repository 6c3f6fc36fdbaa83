//! The jpeg backend of imageio-rs (work in progress: registers nothing yet).
