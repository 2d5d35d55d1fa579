//! The JavaScript face: the only file that names `wasm_bindgen`.
//!
//! Everything here is a thin translation. Contexts and events arrive as JS values and are read
//! as JSON text (`JSON.stringify`, then the same `serde_json` path the CLI uses), because
//! `serde_wasm_bindgen` visits only a struct's known fields and so cannot refuse an unknown
//! one; this way a wrong field is named with the same path on every host. Decisions leave as
//! plain JSON-compatible objects through `serde_wasm_bindgen`. Failures
//! cross as real `Error` objects whose `name` is `SnapshotError`, `ContextError` or
//! `MemoryError` and whose `code` is the same stable code the CLI prints; nothing is thrown as
//! a string and no input traps the module.

use js_sys::{Error, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{Context, ContextError, Memory, MemoryError, MemoryEvent, Snapshot, SnapshotError};

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Builds a JS `Error` with a `name`, a stable `code` and, when known, the `path` of the field.
fn js_error(name: &str, code: &str, message: &str, path: Option<&str>) -> JsValue {
    let error = Error::new(message);
    error.set_name(name);
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    if let Some(path) = path {
        let _ = Reflect::set(&error, &"path".into(), &path.into());
    }
    error.into()
}

fn snapshot_error(e: &SnapshotError) -> JsValue {
    js_error("SnapshotError", e.code(), &e.to_string(), None)
}

fn context_error(e: &ContextError) -> JsValue {
    js_error("ContextError", e.code, &e.to_string(), Some(&e.path))
}

fn memory_error(e: &MemoryError) -> JsValue {
    js_error("MemoryError", e.code(), &e.to_string(), None)
}

/// Serialises to a plain object (not a `Map`), as `JSON.parse` would give.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error("InternalError", "internal", &e.to_string(), None))
}

/// Reads a JS value as JSON text, naming the path of the first wrong field.
fn from_js<T: serde::de::DeserializeOwned>(
    value: &JsValue,
    name: &str,
) -> Result<T, (String, String)> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| (String::new(), format!("{name} is not JSON data")))?;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    let parsed = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = format!("{name} field `{path}`: {}", e.into_inner());
        (path, message)
    })?;
    Ok(parsed)
}

impl Context {
    /// Reads a context from a JS value, as [`Context::from_json`] reads JSON text.
    fn from_json_value(value: &JsValue) -> Result<Context, JsValue> {
        let text = js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        Context::from_json(&text).map_err(|e| context_error(&e))
    }
}

/// What `decide` returns.
#[derive(Serialize)]
struct Decided<'a> {
    decision: &'a crate::Decision,
    memory: &'a str,
}

/// A loaded snapshot, ready to decide.
#[wasm_bindgen]
pub struct Engine {
    snapshot: Snapshot,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a snapshot from its bytes.
    ///
    /// # Errors
    /// A `SnapshotError` naming what is wrong with the bytes.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Engine, JsValue> {
        Snapshot::from_bytes(bytes)
            .map(|snapshot| Engine { snapshot })
            .map_err(|e| snapshot_error(&e))
    }

    /// The snapshot's id, versions and counts.
    ///
    /// # Errors
    /// Only if the summary cannot be converted, which is a bug.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        to_js(&self.snapshot.info())
    }

    /// Decides for one shopper: returns `{ decision, memory }`. Unreadable memory becomes fresh
    /// memory and a warning on the decision; it never throws.
    ///
    /// # Errors
    /// A `ContextError` naming the field of the context that is wrong.
    pub fn decide(&self, context: JsValue, memory: Option<String>) -> Result<JsValue, JsValue> {
        let context = Context::from_json_value(&context)?;
        let (decision, memory) =
            crate::decide_encoded(&self.snapshot, &context, memory.as_deref().unwrap_or(""))
                .map_err(|e| context_error(&e))?;
        to_js(&Decided {
            decision: &decision,
            memory: &memory,
        })
    }

    /// Records an event (`impression`, `dismiss`, `accept`, `purchase`) into memory and returns
    /// the new memory. Unreadable memory starts fresh; memory from a newer version is refused.
    ///
    /// # Errors
    /// A `MemoryError` for a malformed event, or memory written by a newer version.
    pub fn record(&self, memory: Option<String>, event: JsValue) -> Result<String, JsValue> {
        record(memory, event)
    }
}

/// Records an event into memory without a snapshot (memory is keyed by offer id).
///
/// # Errors
/// A `MemoryError` for a malformed event, or memory written by a newer version.
#[wasm_bindgen(js_name = recordEvent)]
pub fn record(memory: Option<String>, event: JsValue) -> Result<String, JsValue> {
    let event: MemoryEvent = from_js(&event, "event").map_err(|(path, message)| {
        js_error("MemoryError", "memory.bad_event", &message, Some(&path))
    })?;
    let (mut decoded, problem) = Memory::decode_or_fresh(memory.as_deref().unwrap_or(""));
    if let Some(problem @ MemoryError::NewerVersion { .. }) = &problem {
        return Err(memory_error(problem));
    }
    decoded.record(&event).map_err(|e| memory_error(&e))?;
    Ok(decoded.encode())
}

/// Checks that a memory string can be read; returns it normalised.
///
/// # Errors
/// A `MemoryError` saying why it cannot be read.
#[wasm_bindgen(js_name = parseMemory)]
pub fn parse_memory(memory: &str) -> Result<String, JsValue> {
    Memory::decode(memory)
        .map(|m| m.encode())
        .map_err(|e| memory_error(&e))
}

/// Merges two memory strings (two tabs, or the browser and the edge cookie) without losing
/// an event. An unreadable side counts as empty.
#[wasm_bindgen(js_name = mergeMemory)]
pub fn merge_memory(a: &str, b: &str) -> String {
    let (a, _) = Memory::decode_or_fresh(a);
    let (b, _) = Memory::decode_or_fresh(b);
    a.merge(&b).encode()
}

/// The size of a memory string in bytes, as a cookie or localStorage counts it.
#[wasm_bindgen(js_name = memorySize)]
pub fn memory_size(memory: &str) -> usize {
    memory.len()
}
