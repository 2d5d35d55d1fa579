//! JSON in and out, by hand: contexts and events in ([`Reader`]), decisions out ([`to_json`]).
//!
//! Every host speaks JSON text to the engine: the CLI reads files, and the WebAssembly build
//! turns a JS value into text with `JSON.stringify`. The same code reads and writes it on every
//! host, so a wrong field has the same path and a decision the same bytes everywhere.
//!
//! Why not `serde_json`: in the WebAssembly module it cost about 52 KB of the 264 KB of code
//! (its deserializer and error type, serde's buffering of untagged enums, and two float
//! formatters: `core`'s, kept alive by serde's error messages, and its own). What tactful
//! reads is small and fixed (a context, an event), refused on the first unknown field, so the
//! reader never has to skip or buffer a value, and it knows the path of the field it is in
//! without walking the text again. What it writes is one tree of structs whose numbers are
//! integers or rounded to four decimals, which the writer prints without a float formatter.
//! The native CLI keeps `serde_json` for its other output (`inspect --json`, diagnostics).

mod read;
mod write;

pub(crate) use read::{JsonError, Kind, Reader};
#[cfg(target_arch = "wasm32")]
pub(crate) use write::{float_as_read, whole_as_read};
pub(crate) use write::{to_json, whole_as_integer};

/// Exact powers of ten in `f64`: `1e0` to `1e22`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];
